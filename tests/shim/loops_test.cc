// Event-loop libraries under the shim: each tests/progs/loop_<lib> program
// checks its own outcomes (one-shot, repeating, cancelled and re-armed
// timers, a short timeout racing a ready descriptor, a worker thread posting
// to the loop) and prints "ok NAME" per scenario. Each is written to be
// correct under any timer semantics, so every mode must leave every
// scenario passing, with no crash and no hang; a verbose new-mode run must
// also report the sites with their frames, through the library's own code.
//
// With default thresholds GLib, libuv and libevent's default backend wait
// in whole milliseconds, which is never a short timeout, so the latency
// aspect would not touch them; the "short milliseconds" runs raise
// TIMERSEM_SHORT to 5ms (and the lag to 3ms) so that it does.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

// Where a library's own frames are: its shared object, or for header-only
// Boost.Asio the program itself.
struct Loop {
  std::string name;
  std::string module;  // a substring of the frames' module paths
  std::vector<std::string> scenarios;
};

std::vector<std::string> Scenarios(const std::vector<std::string>& prefixes) {
  std::vector<std::string> all;
  for (const std::string& prefix : prefixes) {
    for (const char* s : {"oneshot", "repeating", "cancelled", "rearmed", "race", "worker"}) {
      all.push_back(prefix + s);
    }
  }
  return all;
}

const std::vector<Loop>& Loops() {
  static const std::vector<Loop> loops = [] {
    std::vector<Loop> v = {
        {"libevent", "/libevent", Scenarios({"default/", "precise/"})},
        {"glib", "/libglib-2.0.so", Scenarios({""})},
        // libuv's timers are sites at their arming calls (shim/lib_uv.cc),
        // in the program, and waits inside uv_run are no sites.
        {"libuv", "/prog_loop_libuv", Scenarios({""})},
        {"asio", "/prog_loop_asio", Scenarios({""})},
    };
    v[2].scenarios.push_back("close");
    return v;
  }();
  return loops;
}

bool Built(const std::string& name) {
  std::stringstream built(LOOPS_BUILT);
  for (std::string item; std::getline(built, item, ',');) {
    if (item == name) return true;
  }
  return false;
}

const Loop& Find(const std::string& name) {
  for (const Loop& loop : Loops()) {
    if (loop.name == name) return loop;
  }
  static const Loop none;
  return none;
}

// Kills a hung program after this long; a hang then shows as signal 9.
constexpr int kHangSeconds = 60;

const std::map<std::string, std::string> kShortMilliseconds = {{"TIMERSEM_SHORT", "5ms"},
                                                               {"TIMERSEM_LAG", "3ms"}};

class LoopTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!Built(GetParam())) {
      GTEST_SKIP() << "prog_loop_" << GetParam()
                   << " was not built: its library is not installed (see tests/loops.cmake)";
    }
#if TIMERBISECT_TSAN
    // GLib is not instrumented: ThreadSanitizer cannot see the
    // synchronization inside its main loop and reports the program's own
    // handoffs as races, with or without the shim.
    if (GetParam() == "glib") GTEST_SKIP() << "ThreadSanitizer cannot follow GLib's main loop";
#endif
  }

  // Runs the program with `env` and checks that it ended by itself and
  // every scenario passed.
  ShimRun ExpectAllPass(std::map<std::string, std::string> env) {
    ShimRun run = RunUnderShim("loop_" + GetParam(), {}, env, kHangSeconds);
    EXPECT_EQ(run.signal, 0) << "killed (9 is a hang past " << kHangSeconds << " s)\n"
                             << run.out << run.err;
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    for (const std::string& scenario : Find(GetParam()).scenarios) {
      EXPECT_NE(("\n" + run.out).find("\nok " + scenario + "\n"), std::string::npos)
          << "scenario " << scenario << " did not pass:\n"
          << run.out;
    }
    EXPECT_EQ(run.out.find("FAIL"), std::string::npos) << run.out;
    return run;
  }
};

const char* const kUnset = "\x01";

TEST_P(LoopTest, WithoutShim_EveryScenarioPasses) {
  ExpectAllPass({{"LD_PRELOAD", ""}, {"TIMERSEM", kUnset}});
}

TEST_P(LoopTest, InertShim_EveryScenarioPassesAndNothingIsReported) {
  ShimRun run = ExpectAllPass({{"TIMERSEM", kUnset}});
  EXPECT_EQ(run.report, "");
}

TEST_P(LoopTest, Native_EveryScenarioPassesAndNothingIsReported) {
  ShimRun run = ExpectAllPass({{"TIMERSEM", "native"}});
  EXPECT_EQ(run.report, "");
}

TEST_P(LoopTest, Old_EveryScenarioPasses) {
  ExpectAllPass({{"TIMERSEM", "old"}});
}

TEST_P(LoopTest, New_EveryScenarioPasses) {
  ExpectAllPass({{"TIMERSEM", "new"}});
}

TEST_P(LoopTest, OldWithShortMilliseconds_EveryScenarioPasses) {
  std::map<std::string, std::string> env = kShortMilliseconds;
  env["TIMERSEM"] = "old";
  ExpectAllPass(env);
}

TEST_P(LoopTest, NewWithShortMilliseconds_EveryScenarioPasses) {
  std::map<std::string, std::string> env = kShortMilliseconds;
  env["TIMERSEM"] = "new";
  ExpectAllPass(env);
}

// Lines of `report` that carry the marker of `id` and a frame ("  #N ").
std::vector<std::string> FrameLines(const std::string& report, std::uint64_t id) {
  char marker[40];
  std::snprintf(marker, sizeof marker, "[bisect-match 0x%016llx]",
                static_cast<unsigned long long>(id));
  std::vector<std::string> frames;
  std::istringstream in(report);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(marker, 0) == 0 && line.find(" #") != std::string::npos &&
        line.find(" site ") == std::string::npos) {
      frames.push_back(line);
    }
  }
  return frames;
}

TEST_P(LoopTest, NewVerbose_ReportsEverySiteWithFramesThroughTheLibrary) {
  std::map<std::string, std::string> env = kShortMilliseconds;
  env["TIMERSEM"] = "new#vy";
  ShimRun run = ExpectAllPass(env);
  std::set<std::uint64_t> ids = ReportedIds(run.report);
  ASSERT_FALSE(ids.empty()) << run.report;
  const std::string& module = Find(GetParam()).module;
  bool through_library = false;
  for (std::uint64_t id : ids) {
    std::vector<std::string> frames = FrameLines(run.report, id);
    EXPECT_FALSE(frames.empty()) << "site " << id << " has no frames:\n" << run.report;
    for (const std::string& frame : frames)
      through_library |= frame.find(module) != std::string::npos;
  }
  EXPECT_TRUE(through_library) << "no frame in " << module << ":\n" << run.report;
}

INSTANTIATE_TEST_SUITE_P(Loops, LoopTest, ::testing::Values("libevent", "glib", "libuv", "asio"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace timerbisect::testing
