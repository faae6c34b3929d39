// Waits the shim intercepts beyond the libc wrappers of DESIGN's tables:
// timer system calls made through syscall(2). Each is a site with the same
// semantics as its wrapper: old waits at least the lag, new has already
// timed out (or expired), native is the kernel's.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

constexpr const char* kSyscallProg = "shim_waits_syscall";

std::int64_t Ns(const std::string& out, const std::string& key) {
  std::string v = Field(out, key);
  return v.empty() ? -1 : std::stoll(v);
}

class RawTimerSyscall : public ::testing::TestWithParam<std::string> {};

// 10 us (1 ms for the epoll calls) against a 200 ms lag: old waits at
// least the lag (a lower bound only: a loaded machine may add any amount).
TEST_P(RawTimerSyscall, OldWaitsAtLeastTheLag) {
  ShimRun run = RunProg(kSyscallProg, GetParam(), "old#y",
                        {{"TIMERSEM_LAG", "200ms"}, {"TIMERSEM_SHORT", "5ms"}});
  EXPECT_EQ(Field(run.out, "ret"), "0");
  EXPECT_GE(Ns(run.out, "elapsed_ns"), 200'000'000) << run.out;
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
}

TEST_P(RawTimerSyscall, NewIsASiteThatHasAlreadyTimedOut) {
  ShimRun run = RunProg(kSyscallProg, GetParam(), "new#y",
                        {{"TIMERSEM_LAG", "200ms"}, {"TIMERSEM_SHORT", "5ms"}});
  EXPECT_EQ(Field(run.out, "ret"), "0");
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
  EXPECT_NE(run.report.find(GetParam() == "clock_nanosleep" ? "site clock_nanosleep"
                            : GetParam() == "nanosleep"     ? "site nanosleep"
                                                            : "site " + GetParam()),
            std::string::npos)
      << run.report;
}

TEST_P(RawTimerSyscall, WatchModeListsTheSite) {
  ShimRun run = RunProg(kSyscallProg, GetParam(), "watch", {{"TIMERSEM_SHORT", "5ms"}});
  EXPECT_EQ(Field(run.out, "ret"), "0");
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
}

TEST_P(RawTimerSyscall, NativeWaitsAsAskedAndIsNoSite) {
  ShimRun run = RunProg(kSyscallProg, GetParam(), "native", {{"TIMERSEM_SHORT", "5ms"}});
  EXPECT_EQ(Field(run.out, "ret"), "0");
  EXPECT_GE(Ns(run.out, "elapsed_ns"), 10'000) << run.out;
  EXPECT_TRUE(ReportedIds(run.report).empty()) << run.report;
}

INSTANTIATE_TEST_SUITE_P(Waits, RawTimerSyscall,
                         ::testing::Values("nanosleep", "clock_nanosleep", "ppoll", "epoll_wait",
                                           "epoll_pwait"));

// Arming through the raw call: new has already expired when it returns.
TEST(RawTimerSyscallArming, NewHasExpiredWhenTheCallReturns) {
  for (const char* api : {"timerfd_settime", "setitimer"}) {
    ShimRun run = RunProg(kSyscallProg, api, "new#y");
    EXPECT_EQ(Field(run.out, "ret"), "0") << api;
    EXPECT_EQ(Field(run.out, "now"), "1") << api << "\n" << run.out;
  }
}

constexpr const char* kMoreProg = "shim_waits_more";

// What a timed-out wait of each API returns: an error number, or -1 with
// errno set.
struct TimedOut {
  const char* api;
  const char* ret;
  const char* err;
};

void PrintTo(const TimedOut& t, std::ostream* os) {
  *os << t.api;
}

class MoreTimedWaits : public ::testing::TestWithParam<TimedOut> {
 protected:
  // The run's output, or "" (and the test skipped) where the system lacks
  // the API (POSIX message queues in some containers).
  std::string Run(const std::string& timersem, const std::map<std::string, std::string>& env,
                  ShimRun* run_out = nullptr) {
    ShimRun run = RunProg(kMoreProg, GetParam().api, timersem, env);
    if (run_out != nullptr) *run_out = run;
    return run.out;
  }
  void ExpectTimedOut(const std::string& out) {
    EXPECT_EQ(Field(out, "ret"), GetParam().ret) << out;
    EXPECT_EQ(Field(out, "errno"), GetParam().err) << out;
  }
};

TEST_P(MoreTimedWaits, OldTimesOutNoEarlierThanTheLag) {
  std::string out = Run("old#y", {{"TIMERSEM_LAG", "200ms"}});
  if (!Field(out, "skip").empty()) GTEST_SKIP() << out;
  ExpectTimedOut(out);
  EXPECT_GE(Ns(out, "elapsed_ns"), 200'000'000) << out;
}

TEST_P(MoreTimedWaits, NewHasTimedOutAlreadyAndIsASite) {
  ShimRun run;
  std::string out = Run("new#y", {{"TIMERSEM_LAG", "200ms"}}, &run);
  if (!Field(out, "skip").empty()) GTEST_SKIP() << out;
  ExpectTimedOut(out);
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
}

TEST_P(MoreTimedWaits, NativeTimesOutAsAskedAndIsNoSite) {
  ShimRun run;
  std::string out = Run("native", {}, &run);
  if (!Field(out, "skip").empty()) GTEST_SKIP() << out;
  ExpectTimedOut(out);
  EXPECT_TRUE(ReportedIds(run.report).empty()) << run.report;
}

TEST_P(MoreTimedWaits, WatchModeListsTheSite) {
  ShimRun run;
  std::string out = Run("watch", {}, &run);
  if (!Field(out, "skip").empty()) GTEST_SKIP() << out;
  ExpectTimedOut(out);
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
}

INSTANTIATE_TEST_SUITE_P(
    Apis, MoreTimedWaits,
    ::testing::Values(TimedOut{"rwlock_timedrd", "110", "0"},
                      TimedOut{"rwlock_timedwr", "110", "0"},
                      TimedOut{"rwlock_clockrd", "110", "0"},
                      TimedOut{"rwlock_clockwr", "110", "0"}, TimedOut{"timedjoin", "110", "0"},
                      TimedOut{"mq_timedreceive", "-1", "110"},
                      TimedOut{"sigtimedwait", "-1", "11"}, TimedOut{"so_rcvtimeo", "-1", "11"}),
    [](const ::testing::TestParamInfo<TimedOut>& info) { return std::string(info.param.api); });

}  // namespace
}  // namespace timerbisect::testing
