// Another interposer preloaded after the shim (tests/progs/interposer, an
// unversioned pthread_cond_timedwait and clock_nanosleep, as libtsan.so
// exports them) must still see the program's calls: the shim's real
// function is the next definition, not libc's, whenever the program bound
// the default version. A program bound to an old version keeps libc's old
// function, which the interposer does not implement.
#include <gtest/gtest.h>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

std::string InterposerPath() {
  return std::string(TIMERBISECT_PROGS_DIR) + "/libshim_interposer.so";
}

int InterposerCalls(const ShimRun& run, const std::string& function) {
  std::string count = Field(run.err, "interposer " + function);
  return count.empty() ? -1 : std::stoi(count);
}

struct InterposedCase {
  const char* name;  // for the test's name
  const char* prog;
  std::vector<std::string> args;
  const char* timersem;
  const char* function;     // the interposed function the program calls
  bool reaches_interposer;  // false: the program binds an older ABI
};

class ShimInterposer : public ::testing::TestWithParam<InterposedCase> {};

TEST_P(ShimInterposer, CallsReachTheNextInterposerUnlessBoundToAnOldAbi) {
  const InterposedCase& c = GetParam();
  ShimRun run =
      RunUnderShim(c.prog, c.args,
                   {{"LD_PRELOAD", ShimPath() + ":" + InterposerPath()}, {"TIMERSEM", c.timersem}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  int calls = InterposerCalls(run, c.function);
  ASSERT_GE(calls, 0) << "the interposer printed no count:\n" << run.err;
  if (c.reaches_interposer) {
    EXPECT_GT(calls, 0) << "the shim called past the interposer to libc\n" << run.err;
  } else {
    EXPECT_EQ(calls, 0) << "an old-ABI call reached the interposer's new-ABI function\n" << run.err;
  }
}

// The interposer alone sees the default-version calls: the test's premise.
TEST(ShimInterposerPremise, InterposerAloneSeesTheCalls) {
  ShimRun cond =
      RunUnderShim("shim_cond", {"cond_timedwait", "short"}, {{"LD_PRELOAD", InterposerPath()}});
  EXPECT_GT(InterposerCalls(cond, "pthread_cond_timedwait"), 0) << cond.err;
  ShimRun sleep =
      RunUnderShim("shim_sleep", {"clock_nanosleep"}, {{"LD_PRELOAD", InterposerPath()}});
  EXPECT_GT(InterposerCalls(sleep, "clock_nanosleep"), 0) << sleep.err;
}

// A program whose reference names no version (linked against the
// interposer) is bound to the shim's default version: ld.so gives such a
// reference an object's first version node, which was the shim's
// GLIBC_2.2.5, the pre-2.3.2 condvar ABI, so the wait used libc's old
// condvar on the program's new one and never saw its signal.
class ShimUnversionedReference : public ::testing::TestWithParam<const char*> {};

TEST_P(ShimUnversionedReference, BindsTheDefaultVersionAndReachesTheInterposer) {
  ShimRun run =
      RunUnderShim("shim_cond_unversioned", {"cond_timedwait", "long"}, {{"TIMERSEM", GetParam()}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(Field(run.out, "outcome"), "ok") << run.out;
  EXPECT_EQ(Field(run.out, "event_before"), "1") << run.out;
  EXPECT_GT(InterposerCalls(run, "pthread_cond_timedwait"), 0) << run.err;
}

INSTANTIATE_TEST_SUITE_P(Modes, ShimUnversionedReference,
                         ::testing::Values("native", "old", "new"));

const char* const kCond = "pthread_cond_timedwait";
const char* const kSleep = "clock_nanosleep";

// Sleeps in new mode are left out: a short one never reaches any real
// function. clock_nanosleep@GLIBC_2.2.5 is the same function in today's
// libc as the default GLIBC_2.17 (librt's, moved), so it reaches the
// interposer as it would without the shim; pthread_cond_timedwait@GLIBC_2.2.5
// is the pre-2.3.2 condvar ABI, which the interposer does not implement.
INSTANTIATE_TEST_SUITE_P(
    Versions, ShimInterposer,
    ::testing::Values(
        InterposedCase{
            "cond_native", "shim_cond", {"cond_timedwait", "short"}, "native", kCond, true},
        InterposedCase{"cond_old", "shim_cond", {"cond_timedwait", "short"}, "old", kCond, true},
        InterposedCase{"cond_new", "shim_cond", {"cond_timedwait", "short"}, "new", kCond, true},
        InterposedCase{"cond_2_2_5_native",
                       "shim_cond",
                       {"cond_timedwait_old", "short"},
                       "native",
                       kCond,
                       false},
        InterposedCase{
            "cond_2_2_5_old", "shim_cond", {"cond_timedwait_old", "short"}, "old", kCond, false},
        InterposedCase{
            "cond_2_2_5_new", "shim_cond", {"cond_timedwait_old", "short"}, "new", kCond, false},
        InterposedCase{"sleep_native", "shim_sleep", {"clock_nanosleep"}, "native", kSleep, true},
        InterposedCase{"sleep_old", "shim_sleep", {"clock_nanosleep"}, "old", kSleep, true},
        InterposedCase{
            "sleep_2_2_5_native", "shim_sleep", {"clock_nanosleep_2_2_5"}, "native", kSleep, true},
        InterposedCase{
            "sleep_2_2_5_old", "shim_sleep", {"clock_nanosleep_2_2_5"}, "old", kSleep, true}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace timerbisect::testing
