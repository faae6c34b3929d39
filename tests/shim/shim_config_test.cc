// Bad environment values: one clear line on stderr, the shim inert, the
// target unharmed (it behaves natively and exits normally).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

struct BadValue {
  const char* var;
  const char* value;
  const char* says;  // part of the one-line message
};

class ShimBadEnv : public ::testing::TestWithParam<BadValue> {};

TEST_P(ShimBadEnv, OneLineOnStderrAndTheShimStaysInert) {
  const BadValue& bad = GetParam();
  std::map<std::string, std::string> env = {{"TIMERSEM", "old"}};
  env[bad.var] = bad.value;
  ShimRun run = RunUnderShim("shim_timerfd", {"rearm"}, env);
  EXPECT_EQ(run.exit_code, 0);
  // Inert: the kernel's behaviour (the stale tick is discarded), no report.
  EXPECT_EQ(Field(run.out, "stale"), "0");
  EXPECT_TRUE(ReportedIds(run.report).empty());
  std::string expected_prefix = std::string("timerbisect: bad ") + bad.var + "=";
  EXPECT_EQ(run.err.rfind(expected_prefix, 0), 0u) << run.err;
  EXPECT_NE(run.err.find(bad.says), std::string::npos) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
}

INSTANTIATE_TEST_SUITE_P(
    EveryVariable, ShimBadEnv,
    ::testing::Values(BadValue{"TIMERSEM", "newest", "expected native, old, new"},
                      BadValue{"TIMERSEM", "new#+01-1+1", "'+' after '-'"},
                      BadValue{"TIMERSEM", "old#", "empty pattern"},
                      BadValue{"TIMERSEM", "new#x12z", "position 3"},
                      BadValue{"TIMERSEM_ASPECTS", "stale,timing", "stale, latency"},
                      BadValue{"TIMERSEM_ASPECTS", "stale,", "empty item"},
                      BadValue{"TIMERSEM_ASPECTS", "stale,,latency", "empty item"},
                      BadValue{"TIMERSEM_DEPTH", "0", "1 to 64"},
                      BadValue{"TIMERSEM_DEPTH", "16frames", "1 to 64"},
                      // strtol takes these; "8 " was refused, so they are too.
                      BadValue{"TIMERSEM_DEPTH", " 8", "1 to 64"},
                      BadValue{"TIMERSEM_DEPTH", "+8", "1 to 64"},
                      BadValue{"TIMERSEM_SCOPE", "(unclosed", "not a valid re2 regex"},
                      BadValue{"TIMERSEM_SHORT", "5xs", "positive duration"},
                      BadValue{"TIMERSEM_LAG", "-1ms", "positive duration"},
                      BadValue{"TIMERSEM_SHORT", "5", "whole digits and a unit"},
                      // 99999999999 minutes overflowed int64 and wrapped to a
                      // valid-looking 152 years.
                      BadValue{"TIMERSEM_LAG", "99999999999m", "positive duration"},
                      // Added to the realtime clock, 8e9 s overflowed: old's
                      // waits ended at once (audit 25).
                      BadValue{"TIMERSEM_LAG", "8000000000s", "at most 1000000000s"},
                      BadValue{"TIMERSEM_REPORT", "/nonexistent-dir/report", "cannot open"},
                      // Opens, takes nothing: every report was lost silently.
                      BadValue{"TIMERSEM_REPORT", "/dev/full", "cannot write to it (No space"}));

// A FIFO nobody reads blocked the report file's open: every process hung
// before main (audit 25). It is a bad value now, in one line.
TEST(ShimConfig, ReportFifoWithoutAReaderIsABadValue) {
  std::string fifo = ::testing::TempDir() + "tb-report-fifo-" + std::to_string(getpid());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ShimRun run =
      RunUnderShim("shim_timerfd", {"rearm"}, {{"TIMERSEM", "old"}, {"TIMERSEM_REPORT", fifo}});
  unlink(fifo.c_str());
  ASSERT_EQ(run.signal, 0) << "killed: a hang";
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(Field(run.out, "stale"), "0");  // inert
  EXPECT_EQ(run.err, "timerbisect: bad TIMERSEM_REPORT=\"" + fifo +
                         "\": a FIFO that nobody reads (No such device or address); the shim "
                         "stays inert\n");
}

TEST(ShimConfig, NativeAndUnsetAreInertAndSilent) {
  for (const char* value : {"native", "\x01", ""}) {
    ShimRun run = RunUnderShim("shim_timerfd", {"rearm"}, {{"TIMERSEM", value}});
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.err, "");
    EXPECT_EQ(run.report, "");  // not even the announcement
  }
}

TEST(ShimConfig, DurationsAcceptUnits) {
  // A 10us timer with SHORT=5us is not short: native, expired after 200us.
  ShimRun run =
      RunUnderShim("shim_timerfd", {"short"}, {{"TIMERSEM", "old"}, {"TIMERSEM_SHORT", "5us"}});
  EXPECT_EQ(Field(run.out, "at200us"), "1");
  // With SHORT=1ms it is short: old mode holds it back for the lag, 2s in
  // units (the default 1ms lag was exceeded by a loaded TSan run).
  run = RunUnderShim("shim_timerfd", {"short"},
                     {{"TIMERSEM", "old"}, {"TIMERSEM_SHORT", "1ms"}, {"TIMERSEM_LAG", "2s"}});
  EXPECT_EQ(Field(run.out, "at200us"), "0");
}

}  // namespace
}  // namespace timerbisect::testing
