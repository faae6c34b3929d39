// End to end on library timers (issue 14): the built `timerbisect` driver
// bisects examples/<lib>_late_timer under the built shim with
// `--short 5ms --lag 50ms`, and the test checks the JSON answer exactly:
// one set, one site, the library's arming API, named by the example's
// `// CULPRIT` line (function and main.c:line, read from the source at test
// time), failing under the semantics the example's README gives through the
// latency aspect; no innocent timer named; and the printed reproduction
// command fails, while the same command with the modes flipped passes.
// An example whose library is not installed is skipped.
#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "driver_harness.h"

namespace timerbisect::libtimers {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::CulpritFrame;
using testing::Exit;
using testing::FlippedCommand;
using testing::ReadFile;
using testing::RunCommand;
using testing::ScratchDir;

// Nothing that should finish comes near this: a safety net, not a threshold.
constexpr milliseconds kSafetyTimeout{120000};

struct Expectation {
  std::string example;   // examples/<example>/main.c
  std::string path;      // the built example, "" when skipped
  std::string function;  // the culprit's function
  std::string api;       // the culprit site's API
  std::string mode;      // the semantics that fail
};

void ExpectFinds(const Expectation& want) {
  if (want.path.empty()) {
    GTEST_SKIP() << "examples/" << want.example << " was not built: its library is not installed";
  }
  ScratchDir dir;
  const std::string json_path = dir.File("answer.json");
  Exit driver = RunCommand(dir,
                           {TIMERBISECT_DRIVER, "--json", json_path, "-q", "--shim",
                            TIMERBISECT_SHIM, "--short", "5ms", "--lag", "50ms", "--", want.path},
                           kSafetyTimeout);
  ASSERT_EQ(driver.code, 0) << driver.out << driver.err;
  json answer = json::parse(ReadFile(json_path), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(answer.is_object()) << "no JSON answer; stdout:\n" << driver.out;
  EXPECT_EQ(answer.value("outcome", ""), "found");
  const json& sets = answer["sets"];
  ASSERT_EQ(sets.size(), 1u) << answer.dump(2);
  const json& set = sets[0];
  EXPECT_EQ(set.value("mode", ""), want.mode);
  testing::ExpectAspect(set, "latency");

  // Exactly the culprit: no innocent timer, not the loop's wait.
  ASSERT_EQ(set["sites"].size(), 1u) << set.dump(2);
  const json& site = set["sites"][0];
  EXPECT_EQ(site.value("api", ""), want.api);
  std::vector<int> lines = testing::MarkedLines(
      std::string(TIMERBISECT_EXAMPLES_DIR) + "/" + want.example + "/main.c", "// CULPRIT");
  ASSERT_EQ(lines.size(), 1u) << "one // CULPRIT marker in examples/" << want.example;
  EXPECT_EQ(CulpritFrame(site, want.example), want.function + " main.c:" + std::to_string(lines[0]))
      << driver.out;

  std::string reproduce = set.value("reproduce", "");
  EXPECT_NE(reproduce.find(std::string("LD_PRELOAD=") + TIMERBISECT_SHIM), std::string::npos)
      << reproduce;
  EXPECT_NE(reproduce.find("TIMERSEM=" + want.mode + "#"), std::string::npos) << reproduce;
  Exit failing = RunCommand(dir, {"/bin/sh", "-c", reproduce}, kSafetyTimeout);
  EXPECT_EQ(failing.code, 1) << reproduce << "\n" << failing.out << failing.err;
  std::string flipped = FlippedCommand(set);
  ASSERT_FALSE(flipped.empty()) << reproduce;
  Exit passing = RunCommand(dir, {"/bin/sh", "-c", flipped}, kSafetyTimeout);
  EXPECT_EQ(passing.code, 0) << flipped << "\n" << passing.out << passing.err;
}

TEST(LibTimersDriver, UvLateTimer_PinsTheGreetingFlushUnderOld) {
  ExpectFinds(
      {"uv_late_timer", LIBTIMERS_UV_LATE_TIMER, "ScheduleGreetingFlush", "uv_timer_start", "old"});
}

TEST(LibTimersDriver, GlibLateTimer_PinsTheGreetingFlushUnderOld) {
  ExpectFinds({"glib_late_timer", LIBTIMERS_GLIB_LATE_TIMER, "ScheduleGreetingFlush",
               "g_timeout_add_full", "old"});
}

TEST(LibTimersDriver, EventLateTimer_PinsTheGreetingFlushUnderOld) {
  ExpectFinds({"event_late_timer", LIBTIMERS_EVENT_LATE_TIMER, "ScheduleGreetingFlush", "event_add",
               "old"});
}

TEST(LibTimersDriver, SdLateTimer_PinsTheGreetingFlushUnderOld) {
  ExpectFinds({"sd_late_timer", LIBTIMERS_SD_LATE_TIMER, "ScheduleGreetingFlush",
               "sd_event_add_time", "old"});
}

// A callback that ends in a tail call of uv_timer_start leaves no frame of
// its own (tests/progs/tail_call.S): tests/progs/lib_uv's tail_check fails
// when the timer T, armed so, is late. The driver still finds that one
// arming, named by T's callback with the note that says why.
TEST(LibTimersDriver, UvTailCalledArming_NamesTheTimersCallback) {
  if (std::string(LIBTIMERS_PROG_LIB_UV).empty()) GTEST_SKIP() << "libuv is not installed";
  ScratchDir dir;
  Exit native = RunCommand(dir, {LIBTIMERS_PROG_LIB_UV, "tail_order"}, kSafetyTimeout);
  if (native.out.find("order unsupported") != std::string::npos) {
    GTEST_SKIP() << "tests/progs/tail_call.S is written for x86-64";
  }
  const std::string json_path = dir.File("answer.json");
  Exit driver =
      RunCommand(dir,
                 {TIMERBISECT_DRIVER, "--json", json_path, "-q", "--shim", TIMERBISECT_SHIM,
                  "--short", "5ms", "--lag", "50ms", "--", LIBTIMERS_PROG_LIB_UV, "tail_check"},
                 kSafetyTimeout);
  ASSERT_EQ(driver.code, 0) << driver.out << driver.err;
  json answer = json::parse(ReadFile(json_path), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(answer.is_object()) << "no JSON answer; stdout:\n" << driver.out;
  ASSERT_EQ(answer["sets"].size(), 1u) << answer.dump(2);
  const json& set = answer["sets"][0];
  EXPECT_EQ(set.value("mode", ""), "old");
  ASSERT_EQ(set["sites"].size(), 1u) << set.dump(2);
  const json& site = set["sites"][0];
  EXPECT_EQ(site.value("api", ""), "uv_timer_start");
  ASSERT_FALSE(site["frames"].empty()) << site.dump(2);
  const json& first = site["frames"][0];
  EXPECT_EQ(first.value("function", ""), "MarkT") << site.dump(2);
  EXPECT_NE(first.value("note", "").find("tail call"), std::string::npos) << site.dump(2);
  EXPECT_NE(driver.out.find("MarkT"), std::string::npos) << driver.out;
}

}  // namespace
}  // namespace timerbisect::libtimers
