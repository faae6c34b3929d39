// POSIX timers under the shim: the stale signal of a re-armed, disarmed or
// deleted timer, short-timer latency, site patterns and fork; native equals
// what the running kernel does without the shim.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

constexpr const char* kProg = "shim_posix_timer";

class StaleAfter : public ::testing::TestWithParam<const char*> {};

TEST_P(StaleAfter, OldDeliversTheOldSignal) {
  std::string out = Out(kProg, GetParam(), "old");
  ASSERT_EQ(Field(out, "pending"), "1");
  EXPECT_EQ(Field(out, "stale"), "1");
  EXPECT_EQ(Field(out, "code"), std::to_string(SI_TIMER));  // still a timer's signal
  EXPECT_EQ(Field(out, "same_timer"), "1");
  EXPECT_EQ(Field(out, "value"), "42");
}

TEST_P(StaleAfter, NewNeverDeliversTheOldSignal) {
  std::string out = Out(kProg, GetParam(), "new");
  ASSERT_EQ(Field(out, "pending"), "1");
  EXPECT_EQ(Field(out, "stale"), "0");
}

TEST_P(StaleAfter, NativeIsTheKernelsBehaviour) {
  std::string kernel = Field(Kernel(kProg, GetParam()), "stale");
  ASSERT_FALSE(kernel.empty());
  EXPECT_EQ(Field(Out(kProg, GetParam(), "native"), "stale"), kernel);
  EXPECT_EQ(Field(Out(kProg, GetParam(), "\x01"), "stale"), kernel);
}

INSTANTIATE_TEST_SUITE_P(RearmDisarmDelete, StaleAfter,
                         ::testing::Values("rearm", "disarm", "delete"));

TEST(ShimPosixTimer, NullSigeventTimerKeepsItsSignalAndValueInOld) {
  std::string out = Out(kProg, "rearm_null", "old");
  EXPECT_EQ(Field(out, "stale"), "1");
  EXPECT_EQ(Field(out, "value"), Field(out, "expected_value"));
  EXPECT_EQ(Field(Out(kProg, "rearm_null", "new"), "stale"), "0");
}

TEST(ShimPosixTimer, ThreadIdTimerKeepsItsSignalInOld) {
  EXPECT_EQ(Field(Out(kProg, "rearm_tid", "old"), "stale"), "1");
  EXPECT_EQ(Field(Out(kProg, "rearm_tid", "new"), "stale"), "0");
}

TEST(ShimPosixTimer, ExpirationDueWithinLagCountsAsFiredInOld) {
  EXPECT_EQ(Field(Out(kProg, "duesoon", "old"), "stale"), "1");
  EXPECT_EQ(Field(Out(kProg, "duesoon", "new"), "stale"), "0");
  // With a 1 ns lag nothing was due.
  EXPECT_EQ(Field(Out(kProg, "duesoon", "old", {{"TIMERSEM_LAG", "1ns"}}), "stale"), "0");
}

TEST(ShimPosixTimer, FailedRearmChangesNothingInAnyMode) {
  std::string kernel = Kernel(kProg, "failed");
  ASSERT_EQ(Field(kernel, "errno"), std::to_string(EINVAL));
  for (const char* mode : {"old", "new", "native"}) {
    std::string out = Out(kProg, "failed", mode);
    EXPECT_EQ(Field(out, "result"), "-1") << mode;
    EXPECT_EQ(Field(out, "errno"), std::to_string(EINVAL)) << mode;
    EXPECT_EQ(Field(out, "stale"), Field(kernel, "stale")) << mode;
  }
}

TEST(ShimPosixTimer, DeletedTimerFailsWithTheKernelsErrno) {
  std::string kernel = Kernel(kProg, "badtimer");
  for (const char* mode : {"old", "new"}) {
    std::string out = Out(kProg, "badtimer", mode);
    EXPECT_EQ(Field(out, "settime_result"), "-1") << mode;
    EXPECT_EQ(Field(out, "settime_errno"), Field(kernel, "settime_errno")) << mode;
    EXPECT_EQ(Field(out, "delete_result"), "-1") << mode;
    EXPECT_EQ(Field(out, "delete_errno"), Field(kernel, "delete_errno")) << mode;
  }
}

TEST(ShimPosixTimer, ShortTimerNewIsExpiredAtOnce) {
  EXPECT_EQ(Field(Out(kProg, "short", "new"), "now"), "1");
}

TEST(ShimPosixTimer, ShortTimerOldIsSeenLate) {
  std::string out = OldRunWithinLag(kProg, "short");
  EXPECT_EQ(Field(out, "now"), "0");
  EXPECT_EQ(Field(out, "at200us"), "0");  // the 1 ms lag has not passed
}

TEST(ShimPosixTimer, AspectsSelectWhatChanges) {
  EXPECT_EQ(Field(Out(kProg, "rearm", "old", {{"TIMERSEM_ASPECTS", "latency"}}), "stale"),
            Field(Kernel(kProg, "rearm"), "stale"));
  EXPECT_EQ(Field(Out(kProg, "short", "old", {{"TIMERSEM_ASPECTS", "stale"}}), "at200us"), "1");
}

TEST(ShimPosixTimer, PatternFlipsOnlyTheChosenCreationSite) {
  ExpectEachSiteFlipsAlone(kProg);
}

TEST(ShimPosixTimer, ForkedChildReportsTheParentsSiteAndGetsItsMode) {
  ShimRun run = RunProg(kProg, "fork", "old#y");
  EXPECT_EQ(Field(run.out, "child_exit"), "0");
  EXPECT_EQ(Field(run.out, "child_stale"), "1");
  // Reports are per process: parent and child each report once, one ID.
  std::size_t lines = 0;
  for (std::size_t at = run.report.find("site timer_create"); at != std::string::npos;
       at = run.report.find("site timer_create", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 2u) << run.report;
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
  EXPECT_EQ(Field(Out(kProg, "fork", "new"), "child_stale"), "0");
}

// Issue 10.1: a short threshold above the lag made old mode arm a 500 ms
// timer for the 1 ms lag. Old arms for max(request, lag).
TEST(ShimPosixTimer, OldNeverFiresBeforeTheRequestWithAShortThresholdAboveTheLag) {
  std::map<std::string, std::string> long_short = {{"TIMERSEM_SHORT", "2s"}};
  for (const char* behaviour : {"early_rel", "early_abs"}) {
    EXPECT_EQ(Field(LookedInTime(kProg, behaviour, "old", long_short), "fired"), "0") << behaviour;
  }
}

// Issue 10.2: old mode counts an expiration due within the lag as fired;
// then the disarm's old_value must say "fired" too, never "pending".
TEST(ShimPosixTimer, ADisarmThatSaysPendingIsNeverFollowedByASignal) {
  for (const char* mode : {"old", "new", "native"}) {
    std::string out = Out(kProg, "stop_race", mode);
    EXPECT_EQ(Field(out, "said_pending_got_value"), "0") << mode << "\n" << out;
  }
  EXPECT_NE(Field(Out(kProg, "stop_race", "old"), "got_value"), "0");
}

// Issue 10.6: new mode drops the signal of an expiration the program has
// not taken, so it reports the timer as still pending.
TEST(ShimPosixTimer, NewReportsADroppedSignalAsPending) {
  std::string out = Out(kProg, "stop_after_fire", "new");
  EXPECT_EQ(Field(out, "said_fired_got_nothing"), "0") << out;
  EXPECT_EQ(Field(out, "got_value"), "0") << out;
  out = Out(kProg, "stop_after_fire", "old");
  EXPECT_EQ(Field(out, "said_fired_got_nothing"), "0") << out;
  EXPECT_EQ(Field(out, "said_pending_got_value"), "0") << out;
  EXPECT_EQ(Field(out, "got_value"), "6") << out;
}

// Issue 10.3: the signal old mode re-delivers and timer_getoverrun agree.
TEST(ShimPosixTimer, OldGetoverrunAgreesWithTheRedeliveredSignal) {
  std::string out = Out(kProg, "overrun", "old");
  std::string overrun = Field(out, "si_overrun");
  ASSERT_NE(overrun, "none") << out;
  EXPECT_GT(std::stoi(overrun), 0) << out;  // 1 ms periods over 20 ms
  EXPECT_EQ(Field(out, "getoverrun"), overrun) << out;
}

}  // namespace
}  // namespace timerbisect::testing
