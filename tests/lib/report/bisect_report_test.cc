// lib/report/bisect_report.h: the driver's answer as text and JSON, built
// from hand-made reports (no search, no symbolizer).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "report/bisect_report.h"

namespace timerbisect::report {
namespace {

using symbolize::SourceFrame;

SourceFrame Frame(std::string function, std::string file, int line, std::string module,
                  std::uint64_t offset) {
  SourceFrame f;
  f.function = std::move(function);
  f.file = std::move(file);
  f.line = line;
  f.module = std::move(module);
  f.offset = offset;
  return f;
}

// A site of the shim: a libc frame, the shim's own, an inlined user frame
// and its caller.
FoundSite ShimSite() {
  FoundSite site;
  site.id = 0x741113b201ea676f;
  site.api = "timerfd_create";
  site.frames = {
      Frame("timerfd_create", "../sysdeps/unix/timerfd.c", 12,
            "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x100),
      Frame("Intercept", "shim/timerfd.cc", 30, "/opt/tb/lib/libtimerbisect.so", 0x200),
      Frame("NewRequestTimer", "examples/main.c", 51, "/opt/app", 0x300),
      Frame("main", "examples/main.c", 65, "/opt/app", 0x400),
  };
  site.frames[2].column = 3;
  site.frames[2].inlined = true;
  return site;
}

// Two sets: a deterministic one with an aspect, and a flaky one whose site
// is a protocol target's (no API, report lines) and a frame unknown.
BisectReport TwoSets() {
  BisectReport r;
  r.outcome = Outcome::kFound;
  r.command = {"./t", "--fast"};
  r.probes = 9;
  r.runs = 31;
  r.duration = std::chrono::milliseconds(1234);
  FoundSet a;
  a.sites = {ShimSite()};
  a.mode = "new";
  a.aspects = {"stale"};
  a.reproduction = {{{"TIMERSEM", "new#x741113b201ea676f"}}, {"./t", "--fast"}, false};
  a.confidence = 1.0;
  FoundSet b;
  FoundSite s1, s2;
  s1.id = 0x65a;
  s1.lines = {"change 3 <enabled>", "x < y & \"z\""};
  s1.frames = {Frame("", "", 0, "/opt/app", 0xbeef)};
  s2.id = 0xffffffffffffffff;
  b.sites = {s1, s2};
  b.reproduction = {{{"CHANGES_BISECT", "+x65a+xffffffffffffffff"}}, {"./t", "a b"}, false};
  b.confidence = 0.9567;
  r.sets = {a, b};
  return r;
}

TEST(FirstUserFrame, SkipsSystemLibrariesTheShimAndFramesWithoutSource) {
  EXPECT_EQ(FirstUserFrame(ShimSite().frames), 2);
  EXPECT_EQ(FirstUserFrame({}), -1);
  EXPECT_EQ(FirstUserFrame({Frame("f", "", 0, "/opt/app", 1)}), -1);
  EXPECT_EQ(FirstUserFrame({Frame("g", "/usr/include/boost/asio/x.hpp", 1, "/opt/app", 1),
                            Frame("h", "/usr/local/include/y.h", 1, "/opt/app", 1),
                            Frame("i", "src/i.cc", 1, "/lib64/libfoo.so", 1),
                            Frame("j", "src/j.cc", 9, "/opt/app", 1)}),
            3);
}

TEST(OutcomeName, IsTheWordTheJsonAndScriptsUse) {
  EXPECT_STREQ(OutcomeName(Outcome::kFound), "found");
  EXPECT_STREQ(OutcomeName(Outcome::kNotSensitive), "not-timer-sensitive");
  EXPECT_STREQ(OutcomeName(Outcome::kInconclusive), "inconclusive");
}

TEST(BisectText, SeveralSetsEachWithSitesFramesAndReproduceLine) {
  EXPECT_EQ(FormatText(TwoSets()),
            "timerbisect: found 2 sets (9 probes, 31 runs)\n"
            "\n"
            "set 1 of 2: 1 site whose timers make the test fail under new semantics (aspect: "
            "stale), confidence 1.000\n"
            "  site 0x741113b201ea676f  timerfd_create\n"
            "    #0 timerfd_create ../sysdeps/unix/timerfd.c:12\n"
            "    #1 Intercept shim/timerfd.cc:30\n"
            "    #2 (inlined) NewRequestTimer examples/main.c:51   <- first frame in your code\n"
            "    #3 main examples/main.c:65\n"
            "  reproduce:\n"
            "    TIMERSEM=new#x741113b201ea676f ./t --fast\n"
            "\n"
            "set 2 of 2: 2 sites, confidence 0.957\n"
            "  site 0x000000000000065a\n"
            "    #0 /opt/app+0xbeef\n"
            "    change 3 <enabled>\n"
            "    x < y & \"z\"\n"
            "  site 0xffffffffffffffff\n"
            "  reproduce (a flaky failure: this fails only as often as measured, not every "
            "run):\n"
            "    CHANGES_BISECT=+x65a+xffffffffffffffff ./t 'a b'\n"
            // /opt/app+0xbeef: a frame of the program with no line.
            "\n"
            "note: the program's frames above have no file:line (built without -g, or stripped); "
            "rebuild it with -g to see the lines\n");
}

// Two timer calls on one line print alike but for the column, which is
// then shown (for those two sites only) so they can be told apart.
TEST(BisectText, TwoSitesOnOneLineShowTheirColumns) {
  BisectReport r = TwoSets();
  FoundSite twin = ShimSite();
  twin.id = 0x1234;
  twin.frames[2].column = 17;
  r.sets[0].sites.push_back(twin);
  std::string text = FormatText(r);
  EXPECT_NE(text.find("    #2 (inlined) NewRequestTimer examples/main.c:51:3   <- first frame"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    #2 (inlined) NewRequestTimer examples/main.c:51:17   <- first frame"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    #0 /opt/app+0xbeef\n"), std::string::npos) << text;
  // Alone, the site prints no column.
  EXPECT_EQ(FormatText(TwoSets()).find("main.c:51:"), std::string::npos);
}

// A program built without -g, or stripped, has frames without lines: the
// answer says why and what to do (it said nothing: audit 26).
TEST(BisectText, ProgramFramesWithoutLinesSayToRebuildWithDebugInfo) {
  BisectReport r = TwoSets();
  r.sets.pop_back();  // the shim's site alone: its program frames have lines
  const std::string hint = "note: the program's frames above have no file:line";
  EXPECT_EQ(FormatText(r).find(hint), std::string::npos);
  for (symbolize::SourceFrame& f : r.sets[0].sites[0].frames) {
    if (f.module == "/opt/app") {
      f.file.clear();
      f.line = 0;
    }
  }
  EXPECT_NE(FormatText(r).find(hint), std::string::npos) << FormatText(r);
}

TEST(BisectText, OneSetAModeWithoutAspectsAndNoCommand) {
  BisectReport r;
  r.outcome = Outcome::kFound;
  r.probes = 2;
  r.runs = 6;
  FoundSet set;
  set.sites = {ShimSite()};
  set.sites[0].frames.clear();
  set.mode = "old";
  set.aspects = {"stale", "latency"};
  set.confidence = 1.0;
  r.sets = {set};
  r.sets[0].aspects.clear();
  EXPECT_EQ(FormatText(r),
            "timerbisect: found 1 set (2 probes, 6 runs)\n"
            "\n"
            "set 1 of 1: 1 site whose timers make the test fail under old semantics, "
            "confidence 1.000\n"
            "  site 0x741113b201ea676f  timerfd_create\n");
  r.sets[0].aspects = {"stale", "latency"};
  r.sets[0].confidence = 0;  // not estimated: printed as nothing
  EXPECT_EQ(FormatText(r),
            "timerbisect: found 1 set (2 probes, 6 runs)\n"
            "\n"
            "set 1 of 1: 1 site whose timers make the test fail under old semantics (aspect: "
            "stale, latency)\n"
            "  site 0x741113b201ea676f  timerfd_create\n");
}

TEST(BisectText, AnEstimatedConfidenceBelowOneIsAFlakyFailureAndNoneIsNot) {
  BisectReport r;
  r.outcome = Outcome::kFound;
  FoundSet set;
  set.reproduction = {{{"TIMERSEM", "new#1"}}, {"./t"}, false};
  r.sets = {set};
  const std::string deterministic = "  reproduce:\n    TIMERSEM=new#1 ./t\n";
  const std::string flaky =
      "  reproduce (a flaky failure: this fails only as often as measured, not every run):\n"
      "    TIMERSEM=new#1 ./t\n";
  auto text = [&](double confidence) {
    r.sets[0].confidence = confidence;
    std::string all = FormatText(r);
    return all.substr(all.find("  reproduce"));
  };
  EXPECT_EQ(text(1.0), deterministic);
  EXPECT_EQ(text(0.999), flaky);
  EXPECT_EQ(text(0), deterministic);  // "0: not estimated", so not measured as flaky
}

// With the set's own runs counted, the label says what they showed: a set
// that failed in every run of it is not called flaky (the statistical
// search gives every set a confidence below 1, deterministic or not).
TEST(BisectText, TheSetsOwnRunsSayWhetherItIsFlaky) {
  BisectReport r;
  r.outcome = Outcome::kFound;
  FoundSet set;
  set.reproduction = {{{"TIMERSEM", "new#1"}}, {"./t"}, false};
  set.confidence = 0.995;
  r.sets = {set};
  auto label = [&](int runs, int failures) {
    r.sets[0].runs_of_set = runs;
    r.sets[0].failures_of_set = failures;
    std::string all = FormatText(r);
    std::size_t at = all.find("  reproduce");
    return all.substr(at, all.find('\n', at) - at);
  };
  EXPECT_EQ(label(3, 3), "  reproduce (all 3 runs of it failed):");
  EXPECT_EQ(label(1, 1), "  reproduce (its one run failed):");
  EXPECT_EQ(label(5, 2),
            "  reproduce (a flaky failure: 2 of 5 runs of it failed; run it a few times):");
  nlohmann::json j = ToJson(r);
  EXPECT_EQ(j["sets"][0]["runs_of_set"], 5);
  EXPECT_EQ(j["sets"][0]["failures_of_set"], 2);
}

// A search --maxset cut short: the sets found, then where it stopped.
TEST(BisectText, AFindWithAMessageEndsWithItAfterTheSets) {
  BisectReport r = TwoSets();
  const std::string sets = FormatText(r);
  r.message = "stopped: the next failure it followed needs more than 1 site together";
  EXPECT_EQ(FormatText(r), sets + "timerbisect: " + r.message + "\n");
}

TEST(BisectText, NotSensitiveAndInconclusiveAreOneLineWithTheEvidence) {
  BisectReport r;
  r.outcome = Outcome::kNotSensitive;
  r.message = "all-old and all-new both pass (3 runs each)";
  r.sets = TwoSets().sets;  // never shown without a find
  EXPECT_EQ(FormatText(r),
            "timerbisect: not timer-sensitive: all-old and all-new both pass (3 runs each)\n");
  r.outcome = Outcome::kInconclusive;
  r.message = "";
  EXPECT_EQ(FormatText(r), "timerbisect: inconclusive: \n");
}

TEST(BisectJson, HasEveryFieldOfEverySet) {
  nlohmann::json j = ToJson(TwoSets());
  EXPECT_EQ(j["schema_version"], 2);
  EXPECT_EQ(j["outcome"], "found");
  EXPECT_EQ(j["message"], "");
  EXPECT_EQ(j["duration_ms"], 1234);
  EXPECT_EQ(j["command"], nlohmann::json({"./t", "--fast"}));
  EXPECT_EQ(j["probes"], 9);
  EXPECT_EQ(j["runs"], 31);
  ASSERT_EQ(j["sets"].size(), 2u);

  const nlohmann::json& a = j["sets"][0];
  EXPECT_EQ(a["mode"], "new");
  EXPECT_EQ(a["aspects"], nlohmann::json({"stale"}));
  EXPECT_EQ(a["confidence"], 1.0);
  EXPECT_EQ(a["reproduce"], "TIMERSEM=new#x741113b201ea676f ./t --fast");
  EXPECT_EQ(a["reproduction"].dump(),
            R"({"argv":["./t","--fast"],"env":[["TIMERSEM","new#x741113b201ea676f"]],)"
            R"("shell":false})");
  ASSERT_EQ(a["sites"].size(), 1u);
  const nlohmann::json& site = a["sites"][0];
  EXPECT_EQ(site["id"], "0x741113b201ea676f");
  EXPECT_EQ(site["api"], "timerfd_create");
  EXPECT_EQ(site["first_user_frame"], 2);
  EXPECT_EQ(site["lines"], nlohmann::json::array());
  ASSERT_EQ(site["frames"].size(), 4u);
  EXPECT_EQ(site["frames"][2].dump(),
            R"({"column":3,"file":"examples/main.c","function":"NewRequestTimer",)"
            R"("inlined":true,"line":51,"module":"/opt/app","offset":"0x0000000000000300"})");

  // A target other than the shim: no mode, aspects or api keys.
  const nlohmann::json& b = j["sets"][1];
  EXPECT_FALSE(b.contains("mode"));
  EXPECT_FALSE(b.contains("aspects"));
  EXPECT_EQ(b["confidence"], 0.9567);
  EXPECT_EQ(b["reproduce"], "CHANGES_BISECT=+x65a+xffffffffffffffff ./t 'a b'");
  ASSERT_EQ(b["sites"].size(), 2u);
  EXPECT_FALSE(b["sites"][0].contains("api"));
  EXPECT_EQ(b["sites"][0]["id"], "0x000000000000065a");
  EXPECT_EQ(b["sites"][0]["first_user_frame"], -1);
  EXPECT_EQ(b["sites"][0]["lines"], nlohmann::json({"change 3 <enabled>", "x < y & \"z\""}));
  EXPECT_EQ(b["sites"][1]["id"], "0xffffffffffffffff");
  EXPECT_EQ(b["sites"][1]["frames"], nlohmann::json::array());
}

TEST(BisectJson, NoSetsIsAnEmptyArray) {
  BisectReport r;
  r.outcome = Outcome::kNotSensitive;
  r.message = "both pass";
  EXPECT_EQ(ToJson(r).dump(),
            R"({"command":[],"duration_ms":0,"message":"both pass","outcome":)"
            R"("not-timer-sensitive","probes":0,"runs":0,"schema_version":2,"sets":[]})");
}

}  // namespace
}  // namespace timerbisect::report
