// End to end on a real library: the built `timerbisect` driver bisects
// examples/asio_deadline_units (a Boost.Asio lookup whose deadline is in the
// wrong unit) under the built shim, and the test checks the JSON answer:
// one set, one timerfd site, failing under new semantics through the
// latency aspect, whose stack reaches the example's `// CULPRIT` line (read
// from the source at test time) through Asio's own frames; and the printed
// reproduction command fails, while the same command with the modes flipped
// passes.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "driver_harness.h"

namespace timerbisect::loops {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::Exit;
using testing::ExpectAspect;
using testing::FlippedCommand;
using testing::ReadFile;
using testing::RunCommand;
using testing::ScratchDir;

// Nothing that should finish comes near this: a safety net, not a threshold.
constexpr milliseconds kSafetyTimeout{120000};

const std::string kExample = "asio_deadline_units";

// Lines (1-based) of the example's main.cc that contain `marker`.
std::vector<int> MarkedLines(const std::string& marker) {
  return testing::MarkedLines(std::string(TIMERBISECT_EXAMPLES_DIR) + "/" + kExample + "/main.cc",
                              marker);
}

// A function name without its parameter list: symbolizers name an inlined
// frame "ns::F" and an out-of-line one "ns::F(int, long)", depending on the
// compiler's inlining.
std::string WithoutParameters(std::string function) {
  if (function.empty() || function.back() != ')') return function;
  int depth = 0;
  for (std::size_t i = function.size(); i-- > 0;) {
    if (function[i] == ')') ++depth;
    if (function[i] == '(' && --depth == 0) return function.substr(0, i);
  }
  return function;
}

// The innermost frame of `site` in the example's own source, as
// "function main.cc:line".
std::string CulpritFrame(const json& site) {
  const std::string source = "examples/" + kExample + "/main.cc";
  for (const json& frame : site.value("frames", json::array())) {
    if (frame.value("file", "").ends_with(source)) {
      return WithoutParameters(frame.value("function", "")) +
             " main.cc:" + std::to_string(frame.value("line", 0));
    }
  }
  return "(no frame in " + source + ")";
}

// The frames of `site` in Boost.Asio's headers, as "function".
std::vector<std::string> AsioFrames(const json& site) {
  std::vector<std::string> functions;
  for (const json& frame : site.value("frames", json::array())) {
    if (frame.value("file", "").find("/boost/asio/") != std::string::npos) {
      functions.push_back(frame.value("function", ""));
    }
  }
  return functions;
}

bool AnyContains(const std::vector<std::string>& items, const std::string& part) {
  return std::any_of(items.begin(), items.end(),
                     [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

TEST(AsioDeadlineUnits, DriverPinsTheLookupsTimerThroughAsioFrames) {
  const std::string example = LOOPS_ASIO_DEADLINE_UNITS;
  if (example.empty()) GTEST_SKIP() << "examples/" << kExample << " needs Boost (libboost-dev)";
  ScratchDir dir;
  const std::string json_path = dir.File("answer.json");
  Exit driver = RunCommand(
      dir,
      {TIMERBISECT_DRIVER, "--json", json_path, "-q", "--shim", TIMERBISECT_SHIM, "--", example},
      kSafetyTimeout);
  ASSERT_EQ(driver.code, 0) << driver.out << driver.err;
  json answer = json::parse(ReadFile(json_path), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(answer.is_object()) << "no JSON answer; stdout:\n" << driver.out;
  EXPECT_EQ(answer.value("outcome", ""), "found");
  const json& sets = answer["sets"];
  ASSERT_EQ(sets.size(), 1u) << answer.dump(2);
  const json& set = sets[0];
  EXPECT_EQ(set.value("mode", ""), "new");
  ExpectAspect(set, "latency");

  ASSERT_EQ(set["sites"].size(), 1u) << set.dump(2);
  const json& site = set["sites"][0];
  EXPECT_EQ(site.value("api", ""), "timerfd_create");
  std::vector<int> lines = MarkedLines("// CULPRIT");
  ASSERT_EQ(lines.size(), 1u) << "one // CULPRIT marker in examples/" << kExample;
  EXPECT_EQ(CulpritFrame(site), "(anonymous namespace)::Lookup main.cc:" + std::to_string(lines[0]))
      << driver.out;
  // The way from the culprit line to timerfd_create runs through Asio's
  // own code: the timer's service and the reactor that owns the timerfd.
  std::vector<std::string> asio = AsioFrames(site);
  EXPECT_TRUE(AnyContains(asio, "epoll_reactor::do_timerfd_create")) << driver.out;
  EXPECT_TRUE(AnyContains(asio, "basic_waitable_timer")) << driver.out;

  std::string reproduce = set.value("reproduce", "");
  EXPECT_NE(reproduce.find(std::string("LD_PRELOAD=") + TIMERBISECT_SHIM), std::string::npos)
      << reproduce;
  Exit failing = RunCommand(dir, {"/bin/sh", "-c", reproduce}, kSafetyTimeout);
  EXPECT_EQ(failing.code, 1) << reproduce << "\n" << failing.out << failing.err;
  EXPECT_NE(failing.out.find("timed out"), std::string::npos) << failing.out;
  std::string flipped = FlippedCommand(set);
  ASSERT_FALSE(flipped.empty()) << reproduce;
  Exit passing = RunCommand(dir, {"/bin/sh", "-c", flipped}, kSafetyTimeout);
  EXPECT_EQ(passing.code, 0) << flipped << "\n" << passing.out << passing.err;
  EXPECT_NE(passing.out.find("3 lookups answered"), std::string::npos) << passing.out;
}

}  // namespace
}  // namespace timerbisect::loops
