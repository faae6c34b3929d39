// timerfd under the shim: the stale and latency aspects, old against new,
// and native unchanged.
#include <gtest/gtest.h>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

std::string RunTimerfd(const std::string& behaviour, const std::string& timersem,
                       const std::map<std::string, std::string>& extra = {}) {
  std::map<std::string, std::string> env = extra;
  env["TIMERSEM"] = timersem;
  ShimRun run = RunUnderShim("shim_timerfd", {behaviour}, env);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run.out;
}

TEST(ShimTimerfd, RearmOldKeepsStaleTick) {
  std::string out = RunTimerfd("rearm", "old");
  EXPECT_EQ(Field(out, "stale"), "1");
  EXPECT_EQ(Field(out, "ticks"), "1");
}

TEST(ShimTimerfd, RearmNewDiscardsStaleTick) {
  EXPECT_EQ(Field(RunTimerfd("rearm", "new"), "stale"), "0");
}

TEST(ShimTimerfd, RearmNativeIsTheKernelsBehaviour) {
  EXPECT_EQ(Field(RunTimerfd("rearm", "native"), "stale"), "0");
  EXPECT_EQ(Field(RunTimerfd("rearm", "\x01"), "stale"), "0");
}

TEST(ShimTimerfd, DisarmOldKeepsStaleTick) {
  EXPECT_EQ(Field(RunTimerfd("disarm", "old"), "stale"), "1");
  EXPECT_EQ(Field(RunTimerfd("disarm", "new"), "stale"), "0");
}

TEST(ShimTimerfd, ExpirationDueWithinLagCountsAsFiredInOld) {
  EXPECT_EQ(Field(RunTimerfd("duesoon", "old"), "stale"), "1");
  EXPECT_EQ(Field(RunTimerfd("duesoon", "new"), "stale"), "0");
  // Without the latency window (lag 1ns) nothing was due.
  EXPECT_EQ(Field(RunTimerfd("duesoon", "old", {{"TIMERSEM_LAG", "1ns"}}), "stale"), "0");
}

TEST(ShimTimerfd, ShortTimerNewIsExpiredAtOnce) {
  std::string out = RunTimerfd("short", "new");
  EXPECT_EQ(Field(out, "now"), "1");
}

TEST(ShimTimerfd, ShortTimerOldIsSeenLate) {
  std::string out = RunTimerfd("short", "old");
  EXPECT_EQ(Field(out, "now"), "0");
  EXPECT_EQ(Field(out, "at200us"), "0");  // the 1 ms lag has not passed
}

TEST(ShimTimerfd, AspectsSelectWhatChanges) {
  // Only latency: the stale tick is discarded even in old mode.
  EXPECT_EQ(Field(RunTimerfd("rearm", "old", {{"TIMERSEM_ASPECTS", "latency"}}), "stale"), "0");
  // Only stale: short timers are native (not expired at once).
  EXPECT_EQ(Field(RunTimerfd("short", "old", {{"TIMERSEM_ASPECTS", "stale"}}), "at200us"), "1");
}

TEST(ShimTimerfd, ReusedDescriptorDoesNotInheritTheDeadTimer) {
  std::string out = RunTimerfd("reuse", "old");
  ASSERT_EQ(Field(out, "samefd"), "1");
  EXPECT_EQ(Field(out, "stale"), "0");
}

TEST(ShimTimerfd, Dup2OverATimerfdForgetsIt) {
  EXPECT_EQ(Field(RunTimerfd("dup2over", "old"), "stale"), "0");
}

TEST(ShimTimerfd, DupKeepsTheSitesMode) {
  EXPECT_EQ(Field(RunTimerfd("dup", "old"), "stale"), "1");
  EXPECT_EQ(Field(RunTimerfd("dup", "new"), "stale"), "0");
}

TEST(ShimTimerfd, PatternSelectsTheSiteAndReportsIt) {
  ShimRun all_new = RunUnderShim("shim_timerfd", {"rearm"}, {{"TIMERSEM", "new#y"}});
  auto ids = ReportedIds(all_new.report);
  ASSERT_EQ(ids.size(), 1u) << all_new.report;
  char pattern[64];
  std::snprintf(pattern, sizeof pattern, "old#x%016llx",
                static_cast<unsigned long long>(*ids.begin()));
  ShimRun one_old = RunUnderShim("shim_timerfd", {"rearm"}, {{"TIMERSEM", pattern}});
  EXPECT_EQ(Field(one_old.out, "stale"), "1");
  EXPECT_EQ(ReportedIds(one_old.report), ids);
  // A pattern that matches a different ID leaves the site in the other mode.
  std::snprintf(pattern, sizeof pattern, "old#x%016llx",
                static_cast<unsigned long long>(*ids.begin() ^ 1));
  ShimRun other = RunUnderShim("shim_timerfd", {"rearm"}, {{"TIMERSEM", pattern}});
  EXPECT_EQ(Field(other.out, "stale"), "0");
  EXPECT_TRUE(ReportedIds(other.report).empty());
}

}  // namespace
}  // namespace timerbisect::testing
