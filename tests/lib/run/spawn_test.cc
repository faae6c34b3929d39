// The environment a probe is spawned with.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "run/spawn.h"

namespace timerbisect::run {
namespace {

TEST(BuildEnvironment, OverridesThenReportPath) {
  const char* base[] = {"A=1", "B=2", "TIMERSEM_REPORT=/driver/own", nullptr};
  EXPECT_EQ(BuildEnvironment(base, {{"B", "x"}, {"C", "3"}, {"B", "y"}}, "/p/report"),
            (std::vector<std::string>{"A=1", "C=3", "B=y", "TIMERSEM_REPORT=/p/report"}));
  EXPECT_EQ(BuildEnvironment(base, {{"TIMERSEM_REPORT", "stderr"}}, "/p/report"),
            (std::vector<std::string>{"A=1", "B=2", "TIMERSEM_REPORT=stderr"}));
}

}  // namespace
}  // namespace timerbisect::run
