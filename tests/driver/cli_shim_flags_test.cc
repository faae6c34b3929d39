// The shim's settings as bisect and triage take them (cmd/preflight.h):
// the note for a short threshold above the lag.
#include <gtest/gtest.h>

#include "preflight.h"

namespace timerbisect::cmd {
namespace {

ShimFlags Thresholds(std::string short_threshold, std::string lag) {
  ShimFlags f;
  f.short_threshold = std::move(short_threshold);
  f.lag = std::move(lag);
  return f;
}

// Old arms a short timer for max(request, lag): with --short above --lag,
// the timers between the two are sites old does not change (audit 28: C++
// users raise --short to reach millisecond waits and keep the 1ms lag).
TEST(ShortAboveLagNote, SaidOnlyWhenTheThresholdIsAboveTheLag) {
  EXPECT_EQ(ShortAboveLagNote(Thresholds("5ms", "")),
            "timerbisect: note: --short 5ms is above --lag 1ms: old makes a short timer wait "
            "max(its time, the lag), so timers between 1ms and 5ms are sites that old does not "
            "change; give a --lag above --short");
  EXPECT_NE(ShortAboveLagNote(Thresholds("", "10us")).find("--short 50us is above --lag 10us"),
            std::string::npos);
  EXPECT_EQ(ShortAboveLagNote(Thresholds("", "")), "");  // the defaults: 50us, 1ms
  EXPECT_EQ(ShortAboveLagNote(Thresholds("5ms", "50ms")), "");
  EXPECT_EQ(ShortAboveLagNote(Thresholds("5ms", "5ms")), "");
  EXPECT_EQ(ShortAboveLagNote(Thresholds("abc", "")), "");  // the flag's own error says it
}

}  // namespace
}  // namespace timerbisect::cmd
