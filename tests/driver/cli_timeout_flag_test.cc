// --timeout: durations as a person writes them, seconds when bare, and no
// value that silently means "no timeout".
#include <gtest/gtest.h>

#include "timeout_flag.h"

namespace timerbisect::cmd {
namespace {

using std::chrono::milliseconds;

milliseconds Parsed(const char* text) {
  auto flag = ParseTimeoutFlag(text);
  if (!flag) {
    ADD_FAILURE() << text << ": " << flag.error();
    return milliseconds(-1);
  }
  EXPECT_EQ(flag->kind, TimeoutFlag::Kind::kGiven) << text;
  return flag->given;
}

std::string Error(const char* text) {
  auto flag = ParseTimeoutFlag(text);
  if (flag) {
    ADD_FAILURE() << text << " was taken";
    return "";
  }
  const std::string& error = flag.error();
  EXPECT_EQ(error.find('\n'), std::string::npos);
  EXPECT_EQ(error.rfind("timerbisect: --timeout ", 0), 0u) << error;
  return error;
}

TEST(TimeoutFlag, DurationsAsPeopleWriteThem) {
  EXPECT_EQ(Parsed("30s"), milliseconds(30'000));
  EXPECT_EQ(Parsed("1.5s"), milliseconds(1'500));
  EXPECT_EQ(Parsed("1m30s"), milliseconds(90'000));
  EXPECT_EQ(Parsed("1h"), milliseconds(3'600'000));
  EXPECT_EQ(Parsed("250ms"), milliseconds(250));
  EXPECT_EQ(Parsed("1ms"), milliseconds(1));
  EXPECT_EQ(Parsed("2h45m"), milliseconds((2 * 3600 + 45 * 60) * 1000));
}

TEST(TimeoutFlag, ABareNumberIsSecondsAsInCoreutilsTimeout) {
  EXPECT_EQ(Parsed("1"), milliseconds(1'000));
  EXPECT_EQ(Parsed("0.5"), milliseconds(500));
  EXPECT_EQ(Parsed("30"), milliseconds(30'000));
}

TEST(TimeoutFlag, NothingUnderAMillisecondAndNoSilentNone) {
  EXPECT_NE(Error("0").find("under 1ms"), std::string::npos);
  EXPECT_NE(Error("999us").find("under 1ms"), std::string::npos);
  EXPECT_NE(Error("0s").find("under 1ms"), std::string::npos);
  EXPECT_NE(Error("500000ns").find("under 1ms"), std::string::npos);
  auto none = ParseTimeoutFlag("none");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->kind, TimeoutFlag::Kind::kNone);
  EXPECT_EQ(FirstRunTimeout(*none), milliseconds(0));
}

TEST(TimeoutFlag, NonsenseIsAOneLineError) {
  for (const char* bad : {"later", "1x", "s", "1.2.3s", "-1s", "1 s", "1s2", "3d"}) Error(bad);
}

TEST(TimeoutFlag, DefaultIsTenTimesTheNativeRunAtLeastThirtySeconds) {
  auto flag = ParseTimeoutFlag("");
  ASSERT_TRUE(flag);
  EXPECT_EQ(flag->kind, TimeoutFlag::Kind::kDefault);
  EXPECT_EQ(FirstRunTimeout(*flag), kFirstRunTimeout);
  EXPECT_EQ(ProbeTimeout(*flag, milliseconds(100)), milliseconds(30'000));
  EXPECT_EQ(ProbeTimeout(*flag, milliseconds(10'000)), milliseconds(100'000));
  auto given = ParseTimeoutFlag("2s");
  ASSERT_TRUE(given);
  EXPECT_EQ(ProbeTimeout(*given, milliseconds(10'000)), milliseconds(2'000));
}

TEST(TimeoutFlag, FormatsForProgressLines) {
  EXPECT_EQ(FormatTimeout(milliseconds(30'000)), "30s");
  EXPECT_EQ(FormatTimeout(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(FormatTimeout(milliseconds(1'500)), "1.5s");
  EXPECT_EQ(FormatTimeout(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatTimeout(milliseconds(3'600'000)), "1h");
}

}  // namespace
}  // namespace timerbisect::cmd
