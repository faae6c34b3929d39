// Expected<T>: a value or an error, also when both are one type, and the
// value-less check.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"

namespace timerbisect::base {
namespace {

TEST(Expected, HoldsAValueOrAnError) {
  Expected<int> seven = 7;
  ASSERT_TRUE(seven);
  EXPECT_EQ(*seven, 7);
  auto failed = Expected<int>::Fail("timerbisect: no");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), "timerbisect: no");
}

TEST(Expected, ValueAndErrorMayBeOneType) {
  Expected<std::string> path = std::string("/bin/true");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->size(), 9u);
  auto failed = Expected<std::string>::Fail("timerbisect: command not found");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), "timerbisect: command not found");
}

TEST(Expected, MoveOnlyValues) {
  Expected<std::unique_ptr<int>> owned = std::make_unique<int>(3);
  ASSERT_TRUE(owned);
  std::unique_ptr<int> taken = std::move(*owned);
  EXPECT_EQ(*taken, 3);
}

TEST(Expected, AListOfErrorLines) {
  using Errors = std::vector<std::string>;
  auto failed = Expected<int, Errors>::Fail({"timerbisect: a", "timerbisect: b"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().size(), 2u);
}

TEST(Expected, VoidIsACheck) {
  Expected<void> fine;
  EXPECT_TRUE(fine);
  auto bad = Expected<void>::Fail("timerbisect: static");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "timerbisect: static");
}

}  // namespace
}  // namespace timerbisect::base
