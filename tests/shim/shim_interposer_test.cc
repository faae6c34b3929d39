// Another interposer after the shim (tests/progs/interposer: the condvar
// family and clock_nanosleep without symbol versions, as libtsan.so exports
// them) must see what it sees without the shim: the shim's real function is
// what ld.so would have bound the caller to, the first later definition of
// the caller's version or of no version, not libc's exact version.
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
  const char* function;  // the interposed function the program calls
};

class ShimInterposer : public ::testing::TestWithParam<InterposedCase> {};

TEST_P(ShimInterposer, CallsReachTheNextInterposer) {
  const InterposedCase& c = GetParam();
#if TIMERBISECT_TSAN
  // Preloaded ahead of libtsan.so, the interposer waits on libc's condvar
  // where TSan cannot see it, and TSan reports the program's mutex, with or
  // without the shim.
  if (std::string(c.prog) == "shim_cond") GTEST_SKIP() << "the interposer hides waits from TSan";
#endif
  ShimRun run =
      RunUnderShim(c.prog, c.args,
                   {{"LD_PRELOAD", ShimPath() + ":" + InterposerPath()}, {"TIMERSEM", c.timersem}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_GT(InterposerCalls(run, c.function), 0) << "the shim called past the interposer to libc\n"
                                                 << run.err;
  if (std::string(c.prog) == "shim_cond") {
    // A signal 50 ms into a 1 s wait: a wait on the other ABI's condvar (the
    // program's old-ABI init reached the interposer) never sees it.
    EXPECT_EQ(Field(run.out, "outcome"), "ok") << run.out;
    EXPECT_EQ(Field(run.out, "event_before"), "1") << run.out;
  }
}

// The interposer alone sees these calls, and serves an old-ABI program
// correctly: the test's premise.
TEST(ShimInterposerPremise, InterposerAloneSeesTheCalls) {
  for (const char* api : {"cond_timedwait", "cond_timedwait_old"}) {
    ShimRun cond = RunUnderShim("shim_cond", {api, "long"}, {{"LD_PRELOAD", InterposerPath()}});
    EXPECT_GT(InterposerCalls(cond, "pthread_cond_timedwait"), 0) << api << "\n" << cond.err;
    EXPECT_EQ(Field(cond.out, "outcome"), "ok") << api << "\n" << cond.out;
  }
  for (const char* api : {"clock_nanosleep", "clock_nanosleep_2_2_5"}) {
    ShimRun sleep = RunUnderShim("shim_sleep", {api}, {{"LD_PRELOAD", InterposerPath()}});
    EXPECT_GT(InterposerCalls(sleep, "clock_nanosleep"), 0) << api << "\n" << sleep.err;
  }
}

// A program whose references name no version (linked against the
// interposer, as a program built with gcc -fsanitize=thread is against
// libtsan.so) uses today's condvars. ld.so binds such a reference to an
// object's oldest version unless it is hidden: in the shim that was the
// pre-2.3.2 interceptor, which took a monotonic condvar for a realtime one
// (its 1 s wait ended at once in new mode), and whose real function was
// libc's old condvar, on which the wait never saw the program's signal.
class ShimUnversionedReference
    : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(ShimUnversionedReference, WaitsAsWithoutTheShim) {
  const auto& [api, timersem] = GetParam();
  ShimRun run = RunUnderShim("shim_cond_unversioned", {api, "long"}, {{"TIMERSEM", timersem}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(Field(run.out, "outcome"), "ok") << run.out;
  EXPECT_EQ(Field(run.out, "event_before"), "1") << run.out;
#if !TIMERBISECT_TSAN
  // Under ThreadSanitizer libtsan.so comes first among the program's
  // libraries and forwards to libc itself.
  EXPECT_GT(InterposerCalls(run, "pthread_cond_timedwait"), 0) << run.err;
#endif
}

INSTANTIATE_TEST_SUITE_P(Modes, ShimUnversionedReference,
                         ::testing::Combine(::testing::Values("cond_timedwait",
                                                              "cond_timedwait_mono"),
                                            ::testing::Values("native", "old", "new")),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param)) + "_" +
                                  std::get<1>(info.param);
                         });

const char* const kCond = "pthread_cond_timedwait";
const char* const kSleep = "clock_nanosleep";

// The programs bind the default version and GLIBC_2.2.5 (the pre-2.3.2
// condvar ABI; librt's clock_nanosleep). Sleeps in new mode are left out: a
// short one never reaches any real function.
INSTANTIATE_TEST_SUITE_P(
    Versions, ShimInterposer,
    ::testing::Values(
        InterposedCase{"cond_native", "shim_cond", {"cond_timedwait", "long"}, "native", kCond},
        InterposedCase{"cond_old", "shim_cond", {"cond_timedwait", "long"}, "old", kCond},
        InterposedCase{"cond_new", "shim_cond", {"cond_timedwait", "long"}, "new", kCond},
        InterposedCase{
            "cond_2_2_5_native", "shim_cond", {"cond_timedwait_old", "long"}, "native", kCond},
        InterposedCase{"cond_2_2_5_old", "shim_cond", {"cond_timedwait_old", "long"}, "old", kCond},
        InterposedCase{"cond_2_2_5_new", "shim_cond", {"cond_timedwait_old", "long"}, "new", kCond},
        InterposedCase{"sleep_native", "shim_sleep", {"clock_nanosleep"}, "native", kSleep},
        InterposedCase{"sleep_old", "shim_sleep", {"clock_nanosleep"}, "old", kSleep},
        InterposedCase{
            "sleep_2_2_5_native", "shim_sleep", {"clock_nanosleep_2_2_5"}, "native", kSleep},
        InterposedCase{"sleep_2_2_5_old", "shim_sleep", {"clock_nanosleep_2_2_5"}, "old", kSleep}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace timerbisect::testing
