// The shim under load: threads hammering timers and timed waits while
// signals arrive and their handler calls intercepted functions. No
// deadlock (the harness kills a hang after 60 s, seen as signal 9), no lost
// wakeup (every produced item consumed), in every mode.
#include <gtest/gtest.h>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

class ShimStress : public ::testing::TestWithParam<const char*> {};

TEST_P(ShimStress, NoDeadlockNoLostWakeup) {
  ShimRun run = RunUnderShim("shim_stress", {}, {{"TIMERSEM", GetParam()}}, 60);
  ASSERT_EQ(run.signal, 0) << "killed: a hang under TIMERSEM=" << GetParam() << "\n" << run.err;
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Field(run.out, "done"), "1");
  EXPECT_EQ(Field(run.out, "produced"), "2000");
  EXPECT_EQ(Field(run.out, "consumed"), "2000");
  // Signals sent close together may coalesce; some must have been handled.
  EXPECT_GT(std::stoi(Field(run.out, "signals")), 0);
}

INSTANTIATE_TEST_SUITE_P(EveryMode, ShimStress,
                         ::testing::Values("native", "old", "new", "new#vy", "old#!01"));

}  // namespace
}  // namespace timerbisect::testing
