// Timer calls handed pointers they cannot read (tests/progs/shim_bad_pointers.c):
// under the shim, in every mode, each ends as it does without it.
#include <gtest/gtest.h>

#include <string>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

constexpr char kProg[] = "shim_bad_pointers";

class BadPointer : public ::testing::TestWithParam<const char*> {};

TEST_P(BadPointer, EndsTheCallAsWithoutTheShim) {
  // Null, a small integer and a kernel address, for each call the shim
  // reads a timer value of; unmapped memory is the README's known gap.
  // (A sanitizer's own interceptors end some calls first, with a report:
  // "exit 1", with the shim or without. clock_nanosleep is none of them.)
  std::string kernel = Kernel(kProg, "cheap");
  ASSERT_NE(kernel.find("clock_nanosleep kernel ret -1 errno EFAULT"), std::string::npos) << kernel;
  ASSERT_NE(kernel.find("clock_nanosleep low ret -1 errno EFAULT"), std::string::npos) << kernel;
  EXPECT_EQ(Out(kProg, "cheap", GetParam(), {{"TIMERSEM_SHORT", "1s"}}), kernel);
}

INSTANTIATE_TEST_SUITE_P(EveryMode, BadPointer, ::testing::Values("old", "new", "watch"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace timerbisect::testing
