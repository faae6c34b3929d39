// poll, ppoll, select, pselect and the epoll waits under the shim's latency
// aspect: old waits up to the lag so a late event wins, new reports only
// what is ready at once; zero and infinite timeouts are never touched.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

// poll, epoll_wait and epoll_pwait take milliseconds, so their 1 ms wait is
// short only with TIMERSEM_SHORT above it; the others wait 20 us.
constexpr const char* kShort = "2ms";

class ShimPollApi : public ::testing::TestWithParam<std::string> {};

std::map<std::string, std::string> Env(const std::string& timersem, const std::string& lag) {
  return {{"TIMERSEM", timersem}, {"TIMERSEM_SHORT", kShort}, {"TIMERSEM_LAG", lag}};
}

ShimRun RunPoll(const std::string& prog, const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env) {
  ShimRun run = RunUnderShim(prog, args, env);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run;
}

// The writer comes 300 us after the wait began; old waits up to 1 s for it.
TEST_P(ShimPollApi, OldWaitsForAnEventArrivingAfterTheShortTimeout) {
  ShimRun run = RunPoll("shim_poll", {"late", GetParam(), "300"}, Env("old", "1s"));
  EXPECT_EQ(Field(run.out, "ready"), "1") << run.out;
  EXPECT_EQ(Field(run.out, "written_at_return"), "1");
}

// The writer comes 100 ms after the wait began: new has long returned, with
// nothing ready, before the byte is written.
TEST_P(ShimPollApi, NewReturnsAtOnceWithOnlyWhatIsReady) {
  ShimRun run = RunPoll("shim_poll", {"late", GetParam(), "100000"}, Env("new", "1s"));
  EXPECT_EQ(Field(run.out, "ready"), "0") << run.out;
  EXPECT_EQ(Field(run.out, "written_at_return"), "0");
}

// To the thread, the wait took its timeout (clock_ahead.h): an event loop
// that checks its clock after the wait finds its timer due, instead of
// polling again until the real deadline.
TEST_P(ShimPollApi, NewIdleWaitReadsItsTimeoutOnTheThreadsClock) {
  ShimRun run = RunPoll("shim_poll", {"idle", GetParam()}, Env("new", "1s"));
  EXPECT_EQ(Field(run.out, "ready"), "0");
  EXPECT_GE(std::atoll(Field(run.out, "clock_elapsed_ns").c_str()), 20'000) << run.out;
}

TEST_P(ShimPollApi, NativeRunsTheKernelsWait) {
  // Whether the kernel's short timeout or the late byte wins is up to the
  // machine; either way the call succeeds.
  ShimRun run = RunPoll("shim_poll", {"late", GetParam(), "300"}, Env("native", "1s"));
  std::string ready = Field(run.out, "ready");
  EXPECT_TRUE(ready == "0" || ready == "1") << run.out;
}

TEST_P(ShimPollApi, OldWithNothingReadyTimesOutAfterTheLag) {
  ShimRun run = RunPoll("shim_poll", {"idle", GetParam()}, Env("old", "20ms"));
  EXPECT_EQ(Field(run.out, "ready"), "0");
  EXPECT_GE(std::atoll(Field(run.out, "elapsed_ns").c_str()), 20'000'000) << run.out;
}

TEST_P(ShimPollApi, NewSiteIsReportedOnce) {
  ShimRun run = RunPoll("shim_poll", {"late", GetParam(), "100000"}, Env("new#y", "1s"));
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
}

// Only the stale aspect: old's lag is absent and no site is reported.
TEST_P(ShimPollApi, LatencyAspectOffLeavesTheWaitNative) {
  std::map<std::string, std::string> env = Env("old", "2s");
  env["TIMERSEM_ASPECTS"] = "stale";
  ShimRun idle = RunPoll("shim_poll", {"idle", GetParam()}, env);
  EXPECT_EQ(Field(idle.out, "ready"), "0");
  EXPECT_LT(std::atoll(Field(idle.out, "elapsed_ns").c_str()), 2'000'000'000) << idle.out;
  env["TIMERSEM"] = "new#y";
  ShimRun quiet = RunPoll("shim_poll", {"idle", GetParam()}, env);
  EXPECT_TRUE(ReportedIds(quiet.report).empty()) << quiet.report;
}

INSTANTIATE_TEST_SUITE_P(Apis, ShimPollApi,
                         ::testing::Values("poll", "ppoll", "select", "pselect", "epoll_wait",
                                           "epoll_pwait", "epoll_pwait2"));

TEST(ShimPoll, SelectTimeoutStaysAValidTimeval) {
  for (const char* mode : {"old", "new"}) {
    ShimRun run =
        RunPoll("shim_poll", {"late", "select", mode == std::string("old") ? "300" : "100000"},
                Env(mode, "1s"));
    EXPECT_EQ(Field(run.out, "timeout_valid"), "1") << mode << "\n" << run.out;
  }
}

// Zero timeouts are non-blocking calls and infinite ones no timer: they pass
// through in every mode and never walk the stack, so new#y reports nothing.
TEST(ShimPoll, ZeroAndInfiniteTimeoutsPassThroughUnreported) {
  for (const char* timersem : {"new#y", "old#y", "native"}) {
    ShimRun run = RunPoll("shim_poll", {"zero"}, Env(timersem, "1s"));
    EXPECT_EQ(Field(run.out, "zero_ready"), "0") << timersem;
    EXPECT_EQ(Field(run.out, "infinite_ready"), "7") << timersem;
    EXPECT_TRUE(ReportedIds(run.report).empty()) << timersem << "\n" << run.report;
  }
  // The shim was active and reporting, so the empty report means something.
  ShimRun run = RunPoll("shim_poll", {"zero"}, Env("new#y", "1s"));
  EXPECT_NE(run.report.find("timerbisect: shim active"), std::string::npos) << run.report;
}

// Each poll site's ID comes from a new#y run; old#x<ID> makes only that
// site old.
TEST(ShimPoll, PatternFlipsOnlyTheChosenSite) {
  // 50 ms: old's 1 s lag catches the byte, new has returned long before.
  ShimRun all_new = RunPoll("shim_poll", {"twosites", "50000"}, Env("new#y", "1s"));
  EXPECT_EQ(Field(all_new.out, "first"), "0");
  EXPECT_EQ(Field(all_new.out, "second"), "0");
  std::set<std::uint64_t> ids = ReportedIds(all_new.report);
  ASSERT_EQ(ids.size(), 2u) << all_new.report;
  int flipped_first = 0;
  for (std::uint64_t id : ids) {
    char pattern[64];
    std::snprintf(pattern, sizeof pattern, "old#x%016llx", static_cast<unsigned long long>(id));
    ShimRun one_old = RunPoll("shim_poll", {"twosites", "50000"}, Env(pattern, "1s"));
    EXPECT_EQ(ReportedIds(one_old.report), std::set<std::uint64_t>{id}) << one_old.report;
    std::string first = Field(one_old.out, "first");
    std::string second = Field(one_old.out, "second");
    // Exactly one of the two sites waited for its byte.
    EXPECT_TRUE((first == "1" && second == "0") || (first == "0" && second == "1")) << one_old.out;
    if (first == "1") ++flipped_first;
  }
  // The two IDs select different sites.
  EXPECT_EQ(flipped_first, 1);
}

// A -O2 -D_FORTIFY_SOURCE=2 build calls __poll_chk and __ppoll_chk.
std::string UndefinedSymbols(const std::string& path) {
  std::string out;
  std::string cmd = "nm -D --undefined-only " + path;
  FILE* nm = popen(cmd.c_str(), "r");
  if (nm == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, nm)) > 0) out.append(buf, n);
  pclose(nm);
  return out;
}

TEST(ShimPollFortify, ProgramReferencesTheCheckingEntryPoints) {
  std::string symbols = UndefinedSymbols(ProgPath("shim_poll_fortify"));
  EXPECT_NE(symbols.find("__poll_chk"), std::string::npos) << symbols;
  EXPECT_NE(symbols.find("__ppoll_chk"), std::string::npos) << symbols;
}

TEST(ShimPollFortify, CheckingEntryPointsFollowTheMode) {
  for (const char* api : {"poll", "ppoll"}) {
    ShimRun old_run = RunPoll("shim_poll_fortify", {"late", api, "300"}, Env("old", "1s"));
    EXPECT_EQ(Field(old_run.out, "ready"), "1") << api << "\n" << old_run.out;
    ShimRun new_run = RunPoll("shim_poll_fortify", {"late", api, "100000"}, Env("new#y", "1s"));
    EXPECT_EQ(Field(new_run.out, "ready"), "0") << api << "\n" << new_run.out;
    EXPECT_EQ(Field(new_run.out, "written_at_return"), "0");
    EXPECT_EQ(ReportedIds(new_run.report).size(), 1u) << new_run.report;
  }
}

// The shim's report file sits inside the descriptor table the process has:
// at 512 it grew the table to 1024, and select() on a closed descriptor
// between the old end and 1024 then failed with EBADF instead of the
// kernel's 0 (it stops at the table's end). Every mode, with the harness's
// report file, as the driver runs it.
class SelectPastTheTable : public ::testing::TestWithParam<const char*> {};

TEST_P(SelectPastTheTable, EndsAsWithoutTheShim) {
  std::string kernel = Kernel("shim_select_table", "-");
  ASSERT_NE(kernel.find("table unchanged"), std::string::npos) << kernel;
  EXPECT_EQ(Out("shim_select_table", "-", GetParam()), kernel);
}

INSTANTIATE_TEST_SUITE_P(EveryMode, SelectPastTheTable, ::testing::Values("old", "new", "watch"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace timerbisect::testing
