// Interval timers under the shim (setitimer ITIMER_REAL, alarm, ualarm):
// the pending SIGALRM of an old setting, short-timer latency, return values
// and site patterns; native equals what the running kernel does without the
// shim.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

constexpr const char* kProg = "shim_itimer";

class StaleAlarmAfter : public ::testing::TestWithParam<const char*> {};

TEST_P(StaleAlarmAfter, OldStillDeliversThePendingSigalrm) {
  std::string out = Out(kProg, GetParam(), "old");
  ASSERT_EQ(Field(out, "pending"), "1");
  EXPECT_EQ(Field(out, "stale"), "1");
  EXPECT_EQ(Field(out, "code"), std::to_string(SI_KERNEL));  // the itimer's own signal
}

TEST_P(StaleAlarmAfter, NewDiscardsThePendingSigalrm) {
  std::string out = Out(kProg, GetParam(), "new");
  ASSERT_EQ(Field(out, "pending"), "1");
  EXPECT_EQ(Field(out, "stale"), "0");
}

TEST_P(StaleAlarmAfter, NativeIsTheKernelsBehaviour) {
  std::string kernel = Field(Kernel(kProg, GetParam()), "stale");
  ASSERT_FALSE(kernel.empty());
  EXPECT_EQ(Field(Out(kProg, GetParam(), "native"), "stale"), kernel);
  EXPECT_EQ(Field(Out(kProg, GetParam(), "\x01"), "stale"), kernel);
}

INSTANTIATE_TEST_SUITE_P(ReArmOrDisarm, StaleAlarmAfter,
                         ::testing::Values("setitimer_rearm", "setitimer_disarm", "alarm_rearm",
                                           "alarm_disarm", "ualarm_disarm"));

TEST(ShimItimer, AlarmReturnsThePreviousSettingInEveryMode) {
  // The expired timer left nothing armed.
  for (const char* mode : {"old", "new"}) {
    EXPECT_EQ(Field(Out(kProg, "alarm_rearm", mode), "prev"), "0") << mode;
  }
  std::string kernel = Kernel(kProg, "prev");
  ASSERT_EQ(Field(kernel, "prev_alarm"), "5");
  for (const char* mode : {"old", "new", "native"}) {
    std::string out = Out(kProg, "prev", mode);
    EXPECT_EQ(Field(out, "prev_alarm"), "5") << mode;
    EXPECT_EQ(Field(out, "prev_ualarm_ok"), "1") << mode;
  }
}

TEST(ShimItimer, AlarmFromASignalHandlerWorks) {
  for (const char* mode : {"old", "new"}) {
    EXPECT_EQ(Field(Out(kProg, "handler", mode), "handler_prev"), "7") << mode;
  }
}

// Under new a short setitimer waits for its own expiry, and the SIGALRM
// handler runs during that wait: its timer calls must be sites (the wait
// held the reentrancy guard, so the handler's nanosleep was never toggled
// or reported: audit 26).
TEST(ShimItimer, AHandlerRunDuringNewsWaitHasItsOwnSites) {
  ShimRun run = RunUnderShim(kProg, {"handler_sleeps"},
                             {{"TIMERSEM", "new#vy"}, {"TIMERSEM_SHORT", "200ms"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Field(run.out, "handler_ran"), "1");
  EXPECT_NE(run.report.find(" timerbisect site setitimer mode=new"), std::string::npos)
      << run.report;
  EXPECT_NE(run.report.find(" timerbisect site nanosleep mode=new"), std::string::npos)
      << run.report;
}

TEST(ShimItimer, ASigalrmSentByKillIsNotTheTimersAndAlwaysArrives) {
  for (const char* mode : {"old", "new"}) {
    std::string out = Out(kProg, "foreign", mode);
    EXPECT_EQ(Field(out, "stale"), "1") << mode;
    EXPECT_EQ(Field(out, "code"), std::to_string(SI_USER)) << mode;
  }
}

TEST(ShimItimer, FailedSetitimerChangesNothingInAnyMode) {
  std::string kernel = Kernel(kProg, "failed");
  ASSERT_EQ(Field(kernel, "errno"), std::to_string(EINVAL));
  for (const char* mode : {"old", "new", "native"}) {
    std::string out = Out(kProg, "failed", mode);
    EXPECT_EQ(Field(out, "result"), "-1") << mode;
    EXPECT_EQ(Field(out, "errno"), std::to_string(EINVAL)) << mode;
    EXPECT_EQ(Field(out, "stale"), Field(kernel, "stale")) << mode;
  }
}

class ShortItimer : public ::testing::TestWithParam<const char*> {};

TEST_P(ShortItimer, NewIsExpiredAtOnce) {
  EXPECT_EQ(Field(Out(kProg, GetParam(), "new"), "now"), "1");
}

TEST_P(ShortItimer, OldIsSeenLate) {
  std::string out = OldRunWithinLag(kProg, GetParam());
  EXPECT_EQ(Field(out, "now"), "0");
  EXPECT_EQ(Field(out, "at200us"), "0");  // the 1 ms lag has not passed
}

INSTANTIATE_TEST_SUITE_P(SetitimerAndUalarm, ShortItimer,
                         ::testing::Values("short_setitimer", "short_ualarm"));

TEST(ShimItimer, AlarmIsShortOnlyWithASecondLongThreshold) {
  // Default threshold (50us): alarm(1) is no short timer in any mode.
  EXPECT_EQ(Field(Out(kProg, "short_alarm", "new"), "now"), "0");
  EXPECT_EQ(Field(Out(kProg, "short_alarm", "new"), "prev_after"), "1");
  std::map<std::string, std::string> long_short = {{"TIMERSEM_SHORT", "2s"}};
  std::string fired = Out(kProg, "short_alarm", "new", long_short);
  EXPECT_EQ(Field(fired, "now"), "1");
  EXPECT_EQ(Field(fired, "prev_after"), "0");  // nothing left armed
  // Old arms for max(request, lag): alarm(1) is the real alarm, a second
  // away (far beyond any look a loaded machine makes 200 us after the call).
  std::string late = Out(kProg, "short_alarm", "old", long_short);
  EXPECT_EQ(Field(late, "now"), "0");
  EXPECT_EQ(Field(late, "at200us"), "0");
  EXPECT_EQ(Field(late, "prev_after"), "1");
}

TEST(ShimItimer, AspectsSelectWhatChanges) {
  EXPECT_EQ(
      Field(Out(kProg, "setitimer_disarm", "new", {{"TIMERSEM_ASPECTS", "latency"}}), "stale"),
      Field(Kernel(kProg, "setitimer_disarm"), "stale"));
  EXPECT_EQ(Field(Out(kProg, "short_setitimer", "old", {{"TIMERSEM_ASPECTS", "stale"}}), "at200us"),
            "1");
}

TEST(ShimItimer, PatternFlipsOnlyTheChosenCallSite) {
  ExpectEachSiteFlipsAlone(kProg);
}

// Issue 10.1: a short threshold above the lag made old mode arm a 500 ms
// setitimer/ualarm, and alarm(1), for the 1 ms lag. Old arms for
// max(request, lag); alarm(1) is then the real alarm.
TEST(ShimItimer, OldNeverFiresBeforeTheRequestWithAShortThresholdAboveTheLag) {
  std::map<std::string, std::string> long_short = {{"TIMERSEM_SHORT", "2s"}};
  for (const char* behaviour : {"early_setitimer", "early_ualarm", "early_alarm"}) {
    EXPECT_EQ(Field(LookedInTime(kProg, behaviour, "old", long_short), "fired"), "0") << behaviour;
  }
}

// Issue 10.6: new mode discards the pending SIGALRM of an expired setting,
// so setitimer's old_value reports the timer as still pending.
TEST(ShimItimer, NewReportsADiscardedSigalrmAsPending) {
  std::string out = Out(kProg, "stop_after_fire", "new");
  EXPECT_EQ(Field(out, "said_fired_got_nothing"), "0") << out;
  EXPECT_EQ(Field(out, "said_pending_got_value"), "0") << out;
  out = Out(kProg, "stop_after_fire", "old");
  EXPECT_EQ(Field(out, "said_fired_got_nothing"), "0") << out;
  EXPECT_EQ(Field(out, "said_pending_got_value"), "0") << out;
}

}  // namespace
}  // namespace timerbisect::testing
