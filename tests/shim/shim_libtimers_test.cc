// Library timers under the shim (shim/lib_*.cc): each tests/progs/lib_<lib>
// program arms its library's timers in small scenarios and prints what ran,
// in what order; the tests check old, new and native behaviour:
//   latency  a short timer (2 ms, with TIMERSEM_SHORT=5ms and a 50 ms lag)
//            runs after a 20 ms one under old, before a "next iteration"
//            (0 ms) timer armed after it under new, and natively between
//            the two;
//   stale    a callback already due when the timer is stopped, re-armed or
//            destroyed still runs once under old and never under new (and
//            natively never: the libraries run only live timers);
//   sites    each arming call is a site, and the loop's own wait is not one
//            once the library's timers are sites.
// Only orders and counts are checked, never how long anything took.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

bool Built(const std::string& lib) {
  std::stringstream built(LIBTIMERS_BUILT);
  for (std::string item; std::getline(built, item, ',');) {
    if (item == lib) return true;
  }
  return false;
}

// The thresholds of the issue: libraries' timers are whole milliseconds.
// libuv runs due timers by deadline from a cached loop time, so its order
// test holds on any machine with a 2 ms timer; GLib dispatches ready sources
// by priority, so a 2 ms timeout could be ready before a 0 ms one is
// dispatched on a loaded machine: its program uses 200 ms and 400 ms.
const std::map<std::string, std::string> kShortMs = {{"TIMERSEM_SHORT", "5ms"},
                                                     {"TIMERSEM_LAG", "50ms"}};
const std::map<std::string, std::string> kShortLong = {{"TIMERSEM_SHORT", "300ms"},
                                                       {"TIMERSEM_LAG", "1s"}};
const char* const kUnset = "\x01";

class LibTimers : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!Built(GetParam())) {
      GTEST_SKIP() << "prog_lib_" << GetParam()
                   << " was not built: its library is not installed (see tests/libtimers.cmake)";
    }
  }

  // The program's stdout for `behaviour` under `timersem` ("" unsets it;
  // "none" runs without the shim).
  ShimRun Run(const std::string& behaviour, const std::string& timersem,
              std::map<std::string, std::string> env = {}) {
    if (timersem == "none") {
      env["LD_PRELOAD"] = "";
      env["TIMERSEM"] = kUnset;
    } else {
      env["TIMERSEM"] = timersem.empty() ? kUnset : timersem;
    }
    ShimRun run = RunUnderShim("lib_" + GetParam(), {behaviour}, env, 60);
    EXPECT_EQ(run.signal, 0) << run.out << run.err;
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    return run;
  }

  // The thresholds that make the program's "order" T short.
  std::map<std::string, std::string> OrderShort() const {
    return GetParam() == "uv" ? kShortMs : kShortLong;
  }

  std::string Order(const std::string& timersem) {
    std::map<std::string, std::string> env = OrderShort();
    return Field(Run("order", timersem, env).out, "order");
  }

  std::string StaleRuns(const std::string& behaviour, const std::string& timersem) {
    ShimRun run = Run(behaviour, timersem);
    // Where the program sees its timer's destroy notification (GLib's
    // GDestroyNotify), it comes once, after the last run.
    if (!Field(run.out, "notified").empty()) {
      EXPECT_EQ(Field(run.out, "notified"), "1") << run.out;
    }
    return Field(run.out, "stale_runs");
  }
};

TEST_P(LibTimers, Latency_NativeRunsTimersByDeadline) {
  EXPECT_EQ(Order("none"), "ZTM");
  EXPECT_EQ(Order(""), "ZTM");
  EXPECT_EQ(Order("native"), "ZTM");
}

TEST_P(LibTimers, Latency_OldFiresTheShortTimerAfterTheLag) {
  EXPECT_EQ(Order("old"), "ZMT");
}

TEST_P(LibTimers, Latency_NewFiresTheShortTimerAtOnce) {
  EXPECT_EQ(Order("new"), "TZM");
}

// With the default thresholds (50us) no millisecond timer is short.
TEST_P(LibTimers, Latency_DefaultThresholdsLeaveMillisecondTimersAlone) {
  EXPECT_EQ(Field(Run("order", "old").out, "order"), "ZTM");
  EXPECT_EQ(Field(Run("order", "new").out, "order"), "ZTM");
}

TEST_P(LibTimers, Latency_AspectOffLeavesTimersAlone) {
  std::map<std::string, std::string> env = OrderShort();
  env["TIMERSEM_ASPECTS"] = "stale";
  EXPECT_EQ(Field(Run("order", "old", env).out, "order"), "ZTM");
  EXPECT_EQ(Field(Run("order", "new", env).out, "order"), "ZTM");
}

// Each of the three arming calls is its own site: making one site old at a
// time (the others new), exactly one of them makes T late.
TEST_P(LibTimers, Latency_EachArmingCallIsItsOwnSite) {
  std::map<std::string, std::string> env = OrderShort();
  ShimRun all = Run("order", "new#vy", env);
  std::set<std::uint64_t> ids = ReportedIds(all.report);
  EXPECT_EQ(ids.size(), 3u) << all.report;
  int late = 0;
  for (std::uint64_t id : ids) {
    std::string order = Field(Run("order", OldPattern(id), env).out, "order");
    // Old for one site, new for the others: T late only when T's site is old.
    if (order.back() == 'T') ++late;
  }
  EXPECT_EQ(late, 1);
}

// A callback whose last statement arms a timer may be compiled into a tail
// call (tests/progs/tail_call.S makes one for sure): the arming call then
// returns into the library's dispatch, like the library's own calls. It is
// still the program's site, keyed by the library's frames plus the timer's
// callback, which its report names first ("caller=callback"): two such
// armings with callbacks of their own are two sites (shim/lib_loop.h).
TEST_P(LibTimers, Tail_ArmingInACallbacksTailCallIsASite) {
  if (GetParam() == "sdevent") {
    GTEST_SKIP() << "sd-event's armings are keyed by their stack alone (README)";
  }
  std::map<std::string, std::string> env = OrderShort();
  // The timers that ran after M (20 ms, 400 ms for libevent), sorted: T and
  // U (2 ms, 200 ms) come later only when late. Their order between
  // themselves is the library's choice.
  auto late = [&](const std::string& timersem) {
    std::string order = Field(Run("tail_order", timersem, env).out, "order");
    if (order == "unsupported") return order;
    std::string after = order.substr(order.find('M') + 1);
    std::sort(after.begin(), after.end());
    return order.size() == 3 ? after : "bad order " + order;
  };
  std::string native = late("none");
  if (native == "unsupported") GTEST_SKIP() << "tests/progs/tail_call.S is written for x86-64";
  EXPECT_EQ(native, "");
  EXPECT_EQ(late("old"), "TU");
  EXPECT_EQ(late("new"), "");

  ShimRun all = Run("tail_order", "new#vy", env);
  std::istringstream lines(all.report);
  std::string tail_sites;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" caller=callback") != std::string::npos) tail_sites += line + "\n";
  }
  std::set<std::uint64_t> ids = ReportedIds(tail_sites);
  ASSERT_EQ(ids.size(), 2u) << all.report;
  std::set<std::string> lates;
  for (std::uint64_t id : ids) lates.insert(late(OldPattern(id)));
  EXPECT_EQ(lates, (std::set<std::string>{"T", "U"})) << all.report;
}

// A timer armed from a callback has the library's loop below it, and the
// shim's interceptor of that loop (uv_run, g_main_loop_run, event_base_loop)
// or its callback wrapper: no frame of the shim is part of a site (they
// were, in the middle of the stack: in its ID, moving with the shim's
// build; audit 24).
TEST_P(LibTimers, Sites_NoFrameOfTheShimInACallbacksStack) {
  if (GetParam() == "sdevent") GTEST_SKIP() << "its program arms no timer from a callback";
  std::map<std::string, std::string> env = OrderShort();
  ShimRun all = Run("tail_order", "new#vy", env);
  if (Field(all.out, "order") == "unsupported") GTEST_SKIP() << "tail_call.S is for x86-64";
  EXPECT_NE(all.report.find(" caller=callback"), std::string::npos) << all.report;
  EXPECT_EQ(all.report.find("libtimerbisect"), std::string::npos) << all.report;
}

// Stopping a due timer: libuv's uv_timer_stop and sd-event's
// sd_event_source_set_enabled(OFF) leave a stale run under old (the timer
// lives until uv_close or the last unref). GLib's g_source_remove and libevent's
// event_del also destroy the timer, and programs free what its callback
// uses right after: no stale run follows them (shim/lib_glib.cc,
// shim/lib_event.cc).
TEST_P(LibTimers, Stale_StopOfADueTimer) {
  EXPECT_EQ(StaleRuns("stale_stop", "none"), "0");
  bool stops = GetParam() == "uv" || GetParam() == "sdevent";
  EXPECT_EQ(StaleRuns("stale_stop", "old"), stops ? "1" : "0");
  EXPECT_EQ(StaleRuns("stale_stop", "new"), "0");
}

TEST_P(LibTimers, Stale_RearmOfADueTimer) {
  EXPECT_EQ(StaleRuns("stale_rearm", "none"), "1");
  EXPECT_EQ(StaleRuns("stale_rearm", "old"), "2");
  EXPECT_EQ(StaleRuns("stale_rearm", "new"), "1");
}

TEST_P(LibTimers, Stale_AspectOffRunsNothingStale) {
  EXPECT_EQ(Field(Run("stale_stop", "old", {{"TIMERSEM_ASPECTS", "latency"}}).out, "stale_runs"),
            "0");
  EXPECT_EQ(Field(Run("stale_rearm", "old", {{"TIMERSEM_ASPECTS", "latency"}}).out, "stale_runs"),
            "1");
}

// Every one of 2000 live timers keeps its record: stopped while due, each
// gets its stale run under old (a direct-mapped table lost the records of
// some from a few hundred timers on, a different subset each run: audit 24).
TEST(LibTimersUv, ThousandsOfLiveTimersEachKeepTheirMode) {
  if (!Built("uv")) GTEST_SKIP() << "prog_lib_uv was not built (libuv1-dev)";
  for (const char* timersem : {"old", "new"}) {
    ShimRun run = RunUnderShim("lib_uv", {"stale_many"}, {{"TIMERSEM", timersem}}, 60);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(Field(run.out, "stale_runs"), std::string(timersem) == "old" ? "2000" : "0");
  }
}

// The program's own poll in a timer callback is its wait, not the loop's:
// a site (it was native, as the loop's own wait is: audit 24).
TEST(LibTimersUv, ProgramsOwnPollInACallbackIsASite) {
  if (!Built("uv")) GTEST_SKIP() << "prog_lib_uv was not built (libuv1-dev)";
#if TIMERBISECT_SANITIZED
  // The runtime's poll interceptor calls the shim's: whose wait it is
  // cannot be told there, and it is taken as the loop's.
  GTEST_SKIP() << "a sanitizer runtime intercepts poll before the shim";
#endif
  std::map<std::string, std::string> env = kShortMs;
  env["TIMERSEM"] = "new#vy";
  ShimRun run = RunUnderShim("lib_uv", {"callback_poll"}, env, 60);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.report.find(" timerbisect site poll mode=new"), std::string::npos) << run.report;
  EXPECT_EQ(run.report.find(" timerbisect site epoll"), std::string::npos) << run.report;
}

// libevent: a short persistent event fires at once under new and then
// keeps its interval (it was activated with EV_TIMEOUT, from which
// libevent computes the next expiry as the add's deadline plus the
// interval: its second run came two intervals after the add; audit 24).
// The 450 ms end falls between one interval and two.
TEST(LibTimersEvent, NewPersistentEventFiresAtOnceAndKeepsItsInterval) {
  if (!Built("event")) GTEST_SKIP() << "prog_lib_event was not built (libevent-dev)";
  auto fires = [](const std::string& timersem) {
    std::map<std::string, std::string> env = kShortLong;
    env["TIMERSEM"] = timersem;
    ShimRun run = RunUnderShim("lib_event", {"persist"}, env, 60);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return Field(run.out, "persist_fires");
  };
  EXPECT_EQ(fires("native"), "1");
  EXPECT_EQ(fires("new"), "2");
  EXPECT_EQ(fires("old"), "0");
}

// libuv: the shim's own timer that makes an old stale run is hidden from
// uv_walk, as libuv's internal handles are (a program that closed and
// freed every handle it walked crashed on it, or freed the shim's memory:
// audit 24); uv_loop_close still succeeds after the run (the program
// exits 1 otherwise).
TEST(LibTimersUv, StaleRunHandleIsNotWalked) {
  if (!Built("uv")) GTEST_SKIP() << "prog_lib_uv was not built (libuv1-dev)";
  for (const char* timersem : {"old", "new", "native"}) {
    ShimRun run = RunUnderShim("lib_uv", {"stale_walk"}, {{"TIMERSEM", timersem}}, 60);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::string expected = std::string("walked 7 foreign 0 stale_runs ") +
                           (timersem == std::string("old") ? "1" : "0");
    EXPECT_NE(run.out.find(expected), std::string::npos) << timersem << ": " << run.out;
  }
}

// Destroying a due timer (uv_close, g_source_destroy, event_free,
// sd_event_source_unref) drops
// its stale run in every mode: the program may free its memory next.
TEST_P(LibTimers, Stale_DestroyOfADueTimer) {
  EXPECT_EQ(StaleRuns("stale_destroy", "none"), "0");
  EXPECT_EQ(StaleRuns("stale_destroy", "old"), "0");
  EXPECT_EQ(StaleRuns("stale_destroy", "new"), "0");
}

// The loop's own wait (epoll_wait, poll) of a 3 ms timer is a finite wait:
// watch mode would report it as a site of its own. With the library's
// timers as sites it is none: only the arming call is reported.
TEST_P(LibTimers, Sites_OnlyTheArmingCallIsASite) {
  ShimRun run = Run("loop_wait", "watch", kShortMs);
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
  std::istringstream lines(run.report);
  int sites = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" site ") == std::string::npos) continue;
    ++sites;
    EXPECT_EQ(line.find("poll"), std::string::npos) << run.report;
    EXPECT_EQ(line.find("select"), std::string::npos) << run.report;
    EXPECT_EQ(line.find("timerfd"), std::string::npos) << run.report;
  }
  EXPECT_EQ(sites, 1) << run.report;
}

// Watch mode counts library timers like any site, and changes nothing.
TEST_P(LibTimers, Watch_CountsEveryArmingAndChangesNothing) {
  std::map<std::string, std::string> env = OrderShort();
  ShimRun run = Run("order", "watch", env);
  EXPECT_EQ(Field(run.out, "order"), "ZTM");
  EXPECT_EQ(ReportedIds(run.report).size(), 3u) << run.report;
  EXPECT_NE(run.report.find("stats arms=1"), std::string::npos) << run.report;
}

TEST_P(LibTimers, Inert_ReportsNothing) {
  ShimRun run = Run("order", "", OrderShort());
  EXPECT_EQ(run.report, "");
  run = Run("stale_stop", "native");
  EXPECT_EQ(run.report, "");
}

// GLib: an old site's timeout, and a g_timeout_add_once timeout in every
// active mode, carry the shim's wrapper as their callback data; lookups and
// removals by the program's data still find them (a once timeout removed
// by its data ran anyway under watch, old and new: audit 24).
TEST(LibTimersGlib, LookupsByUserDataFindWrappedTimeouts) {
  if (!Built("glib")) GTEST_SKIP() << "prog_lib_glib was not built (libglib2.0-dev)";
  for (const char* behaviour : {"by_user_data", "by_user_data_once"}) {
    for (const char* timersem : {"old", "new", "watch", "native"}) {
      ShimRun run = RunUnderShim("lib_glib", {behaviour}, {{"TIMERSEM", timersem}}, 60);
      EXPECT_EQ(run.exit_code, 0) << run.err;
      EXPECT_NE(run.out.find("found 1 removed 1 runs 0"), std::string::npos)
          << behaviour << ", " << timersem << ": " << run.out;
    }
  }
}

// libuv loaded by the program with dlopen(RTLD_LOCAL), after the shim
// initialized, through a plugin that links it: the plugin's calls reach the
// shim, whose dlsym(RTLD_NEXT) cannot see libuv; it finds the library the
// program loaded, and the timers get their semantics.
TEST(LibTimersUv, LibraryLoadedLaterWithDlopenIsFound) {
  if (!Built("uv")) GTEST_SKIP() << "prog_lib_uv was not built (libuv1-dev)";
  const std::string plugin = std::string(TIMERBISECT_PROGS_DIR) + "/liblib_uv_plugin.so";
  std::map<std::string, std::string> env = kShortMs;
  env["TIMERSEM"] = kUnset;
  EXPECT_EQ(Field(RunUnderShim("lib_dlopen", {plugin}, env, 60).out, "order"), "TM");
  env["TIMERSEM"] = "old#y";
  ShimRun old = RunUnderShim("lib_dlopen", {plugin}, env, 60);
  EXPECT_EQ(Field(old.out, "order"), "MT") << old.out << old.err;
  EXPECT_EQ(ReportedIds(old.report).size(), 2u) << old.report;
}

// sd-event: the other arming and destroying calls.
class LibTimersSdEvent : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!Built("sdevent")) GTEST_SKIP() << "prog_lib_sdevent was not built (libsystemd-dev)";
  }
  std::string Out(const std::string& behaviour, const std::string& field) {
    std::map<std::string, std::string> env;
    if (GetParam() == "none") {
      env["LD_PRELOAD"] = "";
      env["TIMERSEM"] = kUnset;
    } else {
      env["TIMERSEM"] = GetParam();
    }
    ShimRun run = RunUnderShim("lib_sdevent", {behaviour}, env, 60);
    EXPECT_EQ(run.signal, 0) << run.out << run.err;
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    return Field(run.out, field);
  }
  bool Old() const { return GetParam() == "old"; }
};

TEST_P(LibTimersSdEvent, Stale_RelativeRearmOfADueTimer) {
  EXPECT_EQ(Out("stale_rearm_relative", "stale_runs"), Old() ? "2" : "1");
  EXPECT_EQ(Out("stale_rearm_relative", "notified"), "1");
}

// The stale run old leaves behind when the due T is turned off is dropped
// when T is destroyed: its user data may be gone.
TEST_P(LibTimersSdEvent, Stale_DestroyAfterStopDropsTheStaleRun) {
  EXPECT_EQ(Out("stale_stop_destroy", "stale_runs"), "0");
  EXPECT_EQ(Out("stale_stop_destroy", "notified"), "1");
}

TEST_P(LibTimersSdEvent, Stale_DisableUnrefOfADueTimer) {
  EXPECT_EQ(Out("stale_disable_unref", "stale_runs"), "0");
  EXPECT_EQ(Out("stale_disable_unref", "notified"), "1");
}

// A handler that re-arms its own source (sd-event's periodic pattern) owes
// no stale run for the expiry it is handling: ten runs, no time twice.
TEST_P(LibTimersSdEvent, Stale_HandlerRearmingItsOwnSourceOwesNothing) {
  EXPECT_EQ(Out("periodic", "runs"), "10");
  EXPECT_EQ(Out("periodic", "repeats"), "0");
}

// The periodic pattern's re-arm at `usec + period` is the timer's repeat:
// it keeps its period in both modes, as libuv's and GLib's repeats do,
// even when the period is short (under new a 1 ms period with a 5 ms
// threshold became "now" at every re-arm and spun; under old every period
// was late: audit 24). The times are sd-event's, not measured.
TEST_P(LibTimersSdEvent, Latency_PeriodicRearmKeepsItsPeriod) {
  std::map<std::string, std::string> env = kShortMs;
  if (GetParam() == "none") {
    env["LD_PRELOAD"] = "";
    env["TIMERSEM"] = kUnset;
  } else {
    env["TIMERSEM"] = GetParam();
  }
  ShimRun run = RunUnderShim("lib_sdevent", {"periodic"}, env, 60);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(Field(run.out, "runs"), "10");
  EXPECT_EQ(Field(run.out, "period_kept"), "9") << run.out;
}

// A floating source (null `ret`), which the shim adds with a reference of
// its own and hands to the loop: it runs, and freeing the loop frees it.
TEST_P(LibTimersSdEvent, FloatingTimerRunsAndIsFreedWithTheLoop) {
  EXPECT_EQ(Out("floating", "runs"), "1");
  EXPECT_EQ(Out("floating", "notified"), "1");
}

// sd-event multiplexes its timers on a timerfd per clock. libsystemd makes
// the CLOCK_MONOTONIC one itself, inside the loop, to end a rate limit:
// once the program's sd-event timers are sites, that timerfd is none.
TEST(LibTimersSdEventLoop, TimerfdLibsystemdMakesIsNoSite) {
  if (!Built("sdevent")) GTEST_SKIP() << "prog_lib_sdevent was not built (libsystemd-dev)";
  ShimRun run = RunUnderShim("lib_sdevent", {"ratelimit"}, {{"TIMERSEM", "watch"}}, 60);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(Field(run.out, "runs"), "1") << run.out;
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
  EXPECT_EQ(run.report.find("timerfd"), std::string::npos) << run.report;
  EXPECT_NE(run.report.find("site sd_event_add_time_relative"), std::string::npos) << run.report;
}

INSTANTIATE_TEST_SUITE_P(Modes, LibTimersSdEvent,
                         ::testing::Values("none", "native", "old", "new"));

INSTANTIATE_TEST_SUITE_P(Libraries, LibTimers, ::testing::Values("uv", "glib", "event", "sdevent"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace timerbisect::testing
