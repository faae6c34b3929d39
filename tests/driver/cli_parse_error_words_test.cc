// CLI11's messages for a bad flag value, reworded (cmd/parse_error_words.h).
#include "parse_error_words.h"

#include <gtest/gtest.h>

namespace timerbisect::cmd {
namespace {

TEST(ParseErrorWords, AValueOutOfRangeSaysWhatWasWantedAndWhatCame) {
  EXPECT_EQ(PlainParseError("--count: Value abc not in range 1 to 1000"),
            "--count: expected a whole number from 1 to 1000, not \"abc\"");
  EXPECT_EQ(PlainParseError("--confidence: Value 2 not in range 0.500000 to 0.999900"),
            "--confidence: expected a number from 0.5 to 0.9999, not \"2\"");
  EXPECT_EQ(PlainParseError("--fail-exit: Value 300 not in range 0 to 255"),
            "--fail-exit: expected a whole number from 0 to 255, not \"300\"");
}

TEST(ParseErrorWords, AMissingValueNeedsOne) {
  EXPECT_EQ(PlainParseError("--max: 1 required INT:INT in [0 - 1000000] missing"),
            "--max: needs a value");
  EXPECT_EQ(PlainParseError("--mode: 1 required TEXT missing"), "--mode: needs a value");
  // `-j -- true`: CLI11 took "--" as the value.
  EXPECT_EQ(PlainParseError("--jobs: Value -- not in range 0 to 256"), "--jobs: needs a value");
}

// `--env A=PATTERN --env B=PATTERN`: CLI11's own words, capitals and all.
TEST(ParseErrorWords, AFlagGivenTwiceSaysSo) {
  EXPECT_EQ(PlainParseError("--env: At Most 1 required but received 2"),
            "--env: given 2 times; it takes one value");
}

TEST(ParseErrorWords, AValueNotAmongTheChoicesListsThem) {
  EXPECT_EQ(PlainParseError("--algorithm: foo not in {auto,id,suffix,adaptive}"),
            "--algorithm: expected one of auto, id, suffix, adaptive, not \"foo\"");
}

TEST(ParseErrorWords, OtherMessagesStandAsTheyAre) {
  EXPECT_EQ(PlainParseError("--confidence: not a number"), "--confidence: not a number");
  EXPECT_EQ(PlainParseError("The following arguments were not expected: x"),
            "The following arguments were not expected: x");
}

}  // namespace
}  // namespace timerbisect::cmd
