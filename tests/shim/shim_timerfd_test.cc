// timerfd under the shim: the stale and latency aspects, old against new,
// and native unchanged.
#include <gtest/gtest.h>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

constexpr const char* kProg = "shim_timerfd";

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
  // A run preempted past the lag between the call and the second look
  // rightly sees the tick; only a run that looked within it tells.
  std::string out = OldRunWithinLag(kProg, "short");
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

// Found by the second audit: each of these changed a live timer's mode or
// a call's result.
TEST(ShimTimerfd, AFailedDup2OrDup3LeavesTheTimerfdsMode) {
  std::string out = RunTimerfd("dupfail", "old");
  ASSERT_EQ(Field(out, "dup2_ebadf"), "1") << out;
  ASSERT_EQ(Field(out, "dup3_einval"), "1") << out;
  EXPECT_EQ(Field(out, "stale"), "1") << out;
}

TEST(ShimTimerfd, ANumberClosedBehindTheShimsBackDoesNotLendItsModeToANativeTimerfd) {
  std::string out = RunTimerfd("rawclose_reuse", "old", {{"TIMERSEM_SCOPE", "MakeScopedTimerfd"}});
  ASSERT_EQ(Field(out, "samefd"), "1") << out;
  EXPECT_EQ(Field(out, "stale"), "0") << out;
}

TEST(ShimTimerfd, InvalidSettingsFailWithEinvalInEveryMode) {
  for (const char* mode : {"native", "old", "new"}) {
    EXPECT_EQ(Field(RunTimerfd("invalid", mode), "einval"), "3") << mode;
  }
}

// A first expiry of {LONG_MAX, 0} never comes (its nanoseconds wrapped
// into the past, so old armed it for the lag: audit 26).
TEST(ShimTimerfd, NeverEndingSettingNeverFires) {
  for (const char* mode : {"native", "old#y", "new#y"}) {
    std::string out = RunTimerfd("never", mode);
    EXPECT_EQ(Field(out, "fired_rel"), "0") << mode;
    EXPECT_EQ(Field(out, "fired_abs"), "0") << mode;
  }
}

TEST(ShimTimerfd, CloseRangeOfAnEmptyRangeFailsWithEinval) {
  for (const char* mode : {"native", "old", "new", "watch"}) {
    EXPECT_EQ(Field(RunTimerfd("close_range_bad", mode), "einval"), "1") << mode;
  }
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

// Issue 10.1: a short threshold above the lag made old mode arm a 500 ms
// timer for the 1 ms lag. Old arms for max(request, lag).
TEST(ShimTimerfd, OldNeverFiresBeforeTheRequestWithAShortThresholdAboveTheLag) {
  std::map<std::string, std::string> long_short = {{"TIMERSEM_SHORT", "2s"}};
  for (const char* behaviour : {"early_rel", "early_abs"}) {
    EXPECT_EQ(Field(LookedInTime(kProg, behaviour, "old", long_short), "fired"), "0") << behaviour;
  }
}

// Issue 10.2: old mode counts an expiration due within the lag as fired;
// then the disarm's old_value must say "fired" too, never "pending".
TEST(ShimTimerfd, ADisarmThatSaysPendingIsNeverFollowedByAnExpiry) {
  for (const char* mode : {"old", "new", "native"}) {
    std::string out = Out(kProg, "stop_race", mode);
    EXPECT_EQ(Field(out, "said_pending_got_value"), "0") << mode << "\n" << out;
  }
  // Old mode did count expirations due within the lag as fired.
  EXPECT_NE(Field(Out(kProg, "stop_race", "old"), "got_value"), "0");
}

// The same rule for a periodic timer: the expiration counted as fired is
// readable, and old_value gives the time to the one after it (one period
// later), not the time to the one already counted.
TEST(ShimTimerfd, OldPeriodicTimerDueWithinLagReportsTheNextPeriod) {
  std::string out = Out(kProg, "periodic_duesoon", "old");
  EXPECT_EQ(Field(out, "stale"), "1") << out;
  long long old_value_ns = std::stoll(Field(out, "old_value_ns"));
  EXPECT_GT(old_value_ns, 1'000'000) << out;   // beyond the lag: not the counted one
  EXPECT_LE(old_value_ns, 20'000'000) << out;  // within two periods, on a loaded machine too
}

// Issue 10.6: new mode discards an unread expiration on disarm or re-arm,
// so it reports the timer as still pending (Go 1.23's Stop returns true
// when the value was not received, and `if !t.Stop() { <-t.C }` never hangs).
TEST(ShimTimerfd, NewReportsADiscardedExpirationAsPending) {
  std::string out = Out(kProg, "stop_after_fire", "new");
  EXPECT_EQ(Field(out, "said_fired_got_nothing"), "0") << out;
  EXPECT_EQ(Field(out, "got_value"), "0") << out;
  // Old keeps the expiration, and says it fired.
  out = Out(kProg, "stop_after_fire", "old");
  EXPECT_EQ(Field(out, "said_fired_got_nothing"), "0") << out;
  EXPECT_EQ(Field(out, "said_pending_got_value"), "0") << out;
  EXPECT_EQ(Field(out, "got_value"), "6") << out;
}

// Issue 10.4: ticks kept over a re-arm add to the ones the new arming made.
TEST(ShimTimerfd, KeptTicksAddToTheNewArmings) {
  // The new deadline is long past: it expires at once (latency off, or old
  // would arm it for the lag).
  EXPECT_EQ(Field(Out(kProg, "rearm_past", "old", {{"TIMERSEM_ASPECTS", "stale"}}), "ticks"), "2");
  EXPECT_EQ(Field(Out(kProg, "rearm_past", "new", {{"TIMERSEM_ASPECTS", "stale"}}), "ticks"), "1");
  EXPECT_EQ(Field(Kernel(kProg, "rearm_past"), "ticks"), "1");
}

// Issue 10.5: old mode's lag keeps an absolute arming absolute, so
// TFD_TIMER_CANCEL_ON_SET still reaches the kernel (clock changes still
// cancel the read). Seen in /proc/self/fdinfo's "settime flags".
TEST(ShimTimerfd, OldKeepsAbsoluteArmingAndCancelOnSet) {
  std::string kernel = Field(Kernel(kProg, "cancel_on_set"), "settime_flags");
  if (kernel == "-1") GTEST_SKIP() << "this kernel does not show settime flags";
  ASSERT_EQ(kernel, "3");  // TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET
  for (const char* mode : {"old", "new"}) {
    EXPECT_EQ(Field(Out(kProg, "cancel_on_set", mode), "settime_flags"), "3") << mode;
  }
}

}  // namespace
}  // namespace timerbisect::testing
