// OutputBuffer: what a probe's capture keeps of output over its limit.
#include <gtest/gtest.h>

#include <string>

#include "run/output_buffer.h"

namespace timerbisect::run {
namespace {

TEST(OutputBuffer, KeepsEverythingThatFits) {
  OutputBuffer buffer(10);
  buffer.Append("0123");
  buffer.Append("456789");
  EXPECT_EQ(buffer.Take(), "0123456789");
}

TEST(OutputBuffer, MarkerSitsOnItsOwnLine) {
  OutputBuffer buffer(4);
  for (char c : std::string("abcdefgh")) buffer.Append(std::string(1, c));
  EXPECT_EQ(buffer.total_bytes(), 8u);
  EXPECT_EQ(buffer.Take(), "ab\n[timerbisect: 4 bytes of output omitted]\ngh");
}

TEST(OutputBuffer, ZeroLimitKeepsOnlyTheMarker) {
  OutputBuffer buffer(0);
  buffer.Append("abc");
  EXPECT_EQ(buffer.Take(), "[timerbisect: 3 bytes of output omitted]\n");
}

}  // namespace
}  // namespace timerbisect::run
