// Sleeps under the shim's latency aspect: a short sleep lasts at least the
// lag in old mode and returns at once in new mode; zero sleeps pass through
// unreported; an interrupted old sleep still reports EINTR.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

std::int64_t Ns(const std::string& out, const std::string& key) {
  return std::atoll(Field(out, key).c_str());
}

ShimRun RunSleep(const std::vector<std::string>& args, std::map<std::string, std::string> env) {
  ShimRun run = RunUnderShim("shim_sleep", args, env);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run;
}

// The 10 us sleeps; "sleep" sleeps 1 s, so it needs TIMERSEM_SHORT above it.
class ShimSleepApi : public ::testing::TestWithParam<std::string> {
 protected:
  std::map<std::string, std::string> Env(const std::string& timersem, const std::string& lag) {
    std::map<std::string, std::string> env = {{"TIMERSEM", timersem}, {"TIMERSEM_LAG", lag}};
    if (GetParam() == "sleep") env["TIMERSEM_SHORT"] = "2s";
    return env;
  }
  std::string LongLag() const { return GetParam() == "sleep" ? "1500ms" : "20ms"; }
  std::int64_t LongLagNs() const { return GetParam() == "sleep" ? 1'500'000'000 : 20'000'000; }
};

TEST_P(ShimSleepApi, OldSleepsAtLeastTheLag) {
  ShimRun run = RunSleep({GetParam()}, Env("old", LongLag()));
  EXPECT_EQ(Field(run.out, "ret"), "0");
  EXPECT_GE(Ns(run.out, "elapsed_ns"), LongLagNs()) << run.out;
}

// A 10 us (or 1 s) request against a 200 ms (or 3 s) lag: new returns well
// before the lag where old could not.
TEST_P(ShimSleepApi, NewReturnsBeforeTheLag) {
  bool seconds = GetParam() == "sleep";
  ShimRun run = RunSleep({GetParam()}, Env("new#y", seconds ? "3s" : "200ms"));
  EXPECT_EQ(Field(run.out, "ret"), "0");
  EXPECT_LT(Ns(run.out, "elapsed_ns"), seconds ? 1'000'000'000 : 200'000'000) << run.out;
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
  // To the thread, the sleep took the time it asked for (clock_ahead.h): a
  // loop that checks the clock around its sleeps ends as it would natively.
  if (!GetParam().starts_with("clock_nanosleep_abs")) {
    EXPECT_GE(Ns(run.out, "clock_elapsed_ns"), seconds ? 1'000'000'000 : 10'000) << run.out;
  }
}

TEST_P(ShimSleepApi, NativeSleepsAsAsked) {
  ShimRun run = RunSleep({GetParam()}, Env("native", "20ms"));
  EXPECT_EQ(Field(run.out, "ret"), "0");
  // The kernel sleeps at least the request (an absolute deadline in the past
  // asks for nothing).
  // (Absolute deadlines: the time asked for is not known to the test.)
  std::int64_t asked = GetParam() == "sleep"                           ? 1'000'000'000
                       : GetParam().starts_with("clock_nanosleep_abs") ? 0
                                                                       : 10'000;
  EXPECT_GE(Ns(run.out, "elapsed_ns"), asked) << run.out;
}

TEST_P(ShimSleepApi, LatencyAspectOffSleepsAsAsked) {
  std::map<std::string, std::string> env = Env("old#y", "3s");
  env["TIMERSEM_ASPECTS"] = "stale";
  ShimRun run = RunSleep({GetParam()}, env);
  EXPECT_LT(Ns(run.out, "elapsed_ns"), 3'000'000'000) << run.out;
  EXPECT_TRUE(ReportedIds(run.report).empty()) << run.report;
}

INSTANTIATE_TEST_SUITE_P(Apis, ShimSleepApi,
                         ::testing::Values("nanosleep", "clock_nanosleep", "clock_nanosleep_abs",
                                           "clock_nanosleep_abs_realtime",
                                           "clock_nanosleep_abs_tai", "clock_nanosleep_2_2_5",
                                           "usleep", "thrd_sleep", "sleep"));

// Zero sleeps are no timers: never stretched, never reported.
TEST(ShimSleep, ZeroSleepsPassThroughUnreported) {
  for (const char* timersem : {"old#y", "new#y"}) {
    ShimRun run = RunSleep({"zero"}, {{"TIMERSEM", timersem}, {"TIMERSEM_LAG", "2s"}});
    EXPECT_EQ(Field(run.out, "ret_sum"), "0") << timersem;
    EXPECT_LT(Ns(run.out, "elapsed_ns"), 2'000'000'000) << timersem;
    EXPECT_TRUE(ReportedIds(run.report).empty()) << timersem << "\n" << run.report;
    EXPECT_NE(run.report.find("timerbisect: shim active"), std::string::npos) << run.report;
  }
}

// A 10 us sleep stretched to a 2 s lag, interrupted by SIGALRM after 100 ms:
// EINTR, with the remaining time legal (at most the lag).
class ShimSleepEintr : public ::testing::TestWithParam<std::string> {};

TEST_P(ShimSleepEintr, OldSleepIsInterruptible) {
  std::map<std::string, std::string> env = {{"TIMERSEM", "old"}, {"TIMERSEM_LAG", "2s"}};
  if (GetParam() == "sleep") env["TIMERSEM_SHORT"] = "2s";
  ShimRun run = RunSleep({"eintr", GetParam()}, env);
  EXPECT_EQ(Field(run.out, "eintr"), "1") << run.out;
  std::int64_t rem = Ns(run.out, "rem_ns");
  if (GetParam() == "sleep") {
    EXPECT_EQ(Field(run.out, "ret"), "1");  // unslept seconds, at most the request
  } else if (rem != -1) {
    EXPECT_GT(rem, 0) << run.out;
    EXPECT_LE(rem, 2'000'000'000) << run.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Apis, ShimSleepEintr,
                         ::testing::Values("nanosleep", "clock_nanosleep", "clock_nanosleep_2_2_5",
                                           "usleep", "thrd_sleep", "sleep"));

// sleep(2) stretched to a 2.5 s lag and interrupted 800 ms in: 1.7 s of the
// lag are left (less if the signal comes late), which glibc's sleep would
// report as 1, the whole seconds; rounding would say 2.
TEST(ShimSleep, AnInterruptedOldSleepReportsTheWholeSecondsLeftAsGlibcDoes) {
  ShimRun run =
      RunSleep({"eintr", "sleep", "800"},
               {{"TIMERSEM", "old"}, {"TIMERSEM_LAG", "2500ms"}, {"TIMERSEM_SHORT", "3s"}});
  EXPECT_EQ(Field(run.out, "eintr"), "1") << run.out;
  EXPECT_EQ(Field(run.out, "ret"), "1") << run.out;
}

TEST(ShimSleep, PatternFlipsOnlyTheChosenSite) {
  ShimRun all_new = RunSleep({"nanosleep"}, {{"TIMERSEM", "new#y"}, {"TIMERSEM_LAG", "20ms"}});
  std::set<std::uint64_t> ids = ReportedIds(all_new.report);
  ASSERT_EQ(ids.size(), 1u) << all_new.report;
  char pattern[64];
  std::snprintf(pattern, sizeof pattern, "old#x%016llx",
                static_cast<unsigned long long>(*ids.begin()));
  ShimRun one_old = RunSleep({"nanosleep"}, {{"TIMERSEM", pattern}, {"TIMERSEM_LAG", "20ms"}});
  EXPECT_GE(Ns(one_old.out, "elapsed_ns"), 20'000'000) << one_old.out;
  EXPECT_EQ(ReportedIds(one_old.report), ids);
  std::snprintf(pattern, sizeof pattern, "old#x%016llx",
                static_cast<unsigned long long>(*ids.begin() ^ 1));
  ShimRun other = RunSleep({"nanosleep"}, {{"TIMERSEM", pattern}, {"TIMERSEM_LAG", "3s"}});
  EXPECT_LT(Ns(other.out, "elapsed_ns"), 3'000'000'000) << other.out;
  EXPECT_TRUE(ReportedIds(other.report).empty());
}

}  // namespace
}  // namespace timerbisect::testing
