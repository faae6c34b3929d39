// Site identity: the same code path gets the same ID in every run (ASLR),
// thread and process; different paths get different IDs; reports are once
// per site per process.
#include <gtest/gtest.h>

#include <sstream>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

ShimRun Sites(const std::string& scenario, const std::map<std::string, std::string>& extra = {}) {
  std::map<std::string, std::string> env = extra;
  if (!env.count("TIMERSEM")) env["TIMERSEM"] = "new#y";
  ShimRun run = RunUnderShim("shim_sites", {scenario}, env);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run;
}

int MarkerLines(const std::string& report) {
  std::istringstream in(report);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.find("[bisect-match ") != std::string::npos;
  return n;
}

TEST(ShimSite, TwoCallersAreTwoSites) {
  EXPECT_EQ(ReportedIds(Sites("two_callers").report).size(), 2u);
}

TEST(ShimSite, IdsAreStableAcrossRuns) {
  for (const char* scenario : {"two_callers", "lib"}) {
    auto first = ReportedIds(Sites(scenario).report);
    ASSERT_EQ(first.size(), 2u) << scenario;
    for (int run = 0; run < 2; ++run) EXPECT_EQ(ReportedIds(Sites(scenario).report), first);
  }
}

TEST(ShimSite, ThreadsOnOnePathShareOneSiteReportedOnce) {
  ShimRun run = Sites("threads");
  EXPECT_EQ(ReportedIds(run.report).size(), 1u);
  EXPECT_EQ(MarkerLines(run.report), 1) << run.report;
}

TEST(ShimSite, ParentAndChildShareTheIdAndEachReportsIt) {
  ShimRun run = Sites("fork");
  EXPECT_EQ(ReportedIds(run.report).size(), 1u);
  EXPECT_EQ(MarkerLines(run.report), 2) << run.report;
}

TEST(ShimSite, SameIdAfterExec) {
  ShimRun run = Sites("exec");
  EXPECT_EQ(ReportedIds(run.report).size(), 1u);
  EXPECT_EQ(MarkerLines(run.report), 2) << run.report;
}

// An exec whose environment would not load the shim with the same settings
// is reported once, naming what is unset and what was changed.
TEST(ShimSite, AnExecWithOtherSettingsSaysWhatIsMissingOrChanged) {
  auto dropped = [](const std::string& name, const std::string& value) {
    ShimRun run = RunUnderShim("shim_sites", {"exec_env", name, value},
                               {{"TIMERSEM", "new#y"}, {"TIMERSEM_DEPTH", "12"}});
    std::istringstream in(run.report);
    std::string line, found;
    while (std::getline(in, line)) {
      if (line.find("timerbisect: shim dropped ") == 0) found += line.substr(line.find(" exec="));
    }
    return found;
  };
  const std::string exe = " exec=/proc/self/exe";
  EXPECT_EQ(dropped("TIMERSEM", "-"), exe + " missing=TIMERSEM");
  EXPECT_EQ(dropped("TIMERSEM", "old#y"), exe + " changed=TIMERSEM");
  EXPECT_EQ(dropped("TIMERSEM_DEPTH", "3"), exe + " changed=TIMERSEM_DEPTH");
  EXPECT_EQ(dropped("TIMERSEM_DEPTH", "-"), exe + " missing=TIMERSEM_DEPTH");
  EXPECT_EQ(dropped("TIMERSEM_SCOPE", "CallerA"), exe + " changed=TIMERSEM_SCOPE");
  EXPECT_EQ(dropped("LD_PRELOAD", "-"), exe + " missing=LD_PRELOAD");
  // A child whose reports would go elsewhere (the parent writes this line
  // to its own report file before the exec).
  EXPECT_EQ(dropped("TIMERSEM_REPORT", "-"), exe + " missing=TIMERSEM_REPORT");
  EXPECT_EQ(dropped("TIMERSEM_REPORT", "/dev/null"), exe + " changed=TIMERSEM_REPORT");
  EXPECT_EQ(dropped("TIMERSEM_DEPTH", "12"), "");  // the same value
}

// An exec that fails starts nothing: its report is voided by the line after
// it, and errno is the exec's (the program exits 3 if it is not ENOENT).
// A long path (deep build trees) is named whole in both lines.
TEST(ShimSite, AFailedExecIsVoidedAndKeepsItsErrno) {
  std::string deep = "/nonexistent";
  for (int i = 0; i < 14; ++i) deep += "/" + std::string(200, 'd');
  for (const std::string& path : {std::string("/nonexistent/timerbisect-test"), deep + "/t"}) {
    ShimRun run = RunUnderShim("shim_sites", {"exec_missing", path}, {{"TIMERSEM", "new#y"}});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::istringstream in(run.report);
    std::string line, lines;
    while (std::getline(in, line)) {
      if (line.starts_with("timerbisect: shim dropped ") ||
          line.starts_with("timerbisect: exec ")) {
        lines += line.substr(0, line.find(" pid=")) + line.substr(line.find(" exec=")) + "\n";
      }
    }
    EXPECT_EQ(lines, "timerbisect: shim dropped exec=" + path +
                         " missing=LD_PRELOAD\n"
                         "timerbisect: exec failed exec=" +
                         path +
                         "\n"
                         "timerbisect: shim dropped exec=/proc/self/exe missing=LD_PRELOAD\n")
        << path.size() << " bytes";
  }
}

TEST(ShimSite, DepthOneSeesOnlyTheInnermostFrame) {
  EXPECT_EQ(ReportedIds(Sites("two_callers", {{"TIMERSEM_DEPTH", "1"}}).report).size(), 1u);
}

TEST(ShimSite, VerbosePatternReportsFramesWithModuleAndOffset) {
  ShimRun run = Sites("lib", {{"TIMERSEM", "new#vy"}});
  EXPECT_NE(run.report.find("libshim_sitelib.so+0x"), std::string::npos) << run.report;
  EXPECT_NE(run.report.find("sitelib_make_timer"), std::string::npos) << run.report;
  EXPECT_NE(run.report.find("prog_shim_sites+0x"), std::string::npos) << run.report;
  EXPECT_NE(run.report.find("timerbisect site timerfd_create mode=new"), std::string::npos);
}

// A leading 'q' (Go's standard library's quiet prefix) keeps the modes and
// drops the reports; a 'v' after it brings them back.
TEST(ShimSite, QuietPatternReportsNothing) {
  EXPECT_EQ(MarkerLines(Sites("two_callers", {{"TIMERSEM", "new#qy"}}).report), 0);
  EXPECT_EQ(ReportedIds(Sites("two_callers", {{"TIMERSEM", "new#qvy"}}).report).size(), 2u);
}

TEST(ShimSite, ScopeFiltersSitesByModuleOrSymbol) {
  EXPECT_EQ(ReportedIds(Sites("lib", {{"TIMERSEM_SCOPE", "sitelib_make"}}).report).size(), 2u);
  EXPECT_EQ(ReportedIds(Sites("lib", {{"TIMERSEM_SCOPE", "^nothing-matches$"}}).report).size(), 0u);
}

// The full symbol table, not only the dynamic one: the program's own static
// functions count for the scope, and reports name them. Names are as in the
// symbol table, so unanchored: GCC may name a clone "MakeTimer.isra.0".
TEST(ShimSite, ScopeMatchesTheProgramsOwnStaticFunctions) {
  EXPECT_EQ(ReportedIds(Sites("two_callers", {{"TIMERSEM_SCOPE", "MakeTimer"}}).report).size(), 2u);
  EXPECT_EQ(ReportedIds(Sites("two_callers", {{"TIMERSEM_SCOPE", "ThreadMain"}}).report).size(),
            0u);
  EXPECT_EQ(ReportedIds(Sites("threads", {{"TIMERSEM_SCOPE", "ThreadMain"}}).report).size(), 1u);
}

TEST(ShimSite, VerboseFramesNameTheProgramsOwnFunctions) {
  ShimRun run = Sites("threads", {{"TIMERSEM", "new#vy"}});
  for (const char* name : {" MakeTimer", " CallerA", " ThreadMain"}) {
    EXPECT_NE(run.report.find(name), std::string::npos) << name << " in\n" << run.report;
  }
}

// A report file says, once a process, that a site outside the scope was
// reached, so the driver can tell "no site in scope" from "no timer at all".
TEST(ShimSite, SiteOutsideTheScopeIsNotedOnceAProcess) {
  ShimRun run = Sites("fork", {{"TIMERSEM_SCOPE", "^nothing-matches$"}});
  EXPECT_TRUE(ReportedIds(run.report).empty()) << run.report;
  std::istringstream in(run.report);
  int notes = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("timerbisect: site outside TIMERSEM_SCOPE pid=")) {
      ++notes;
      EXPECT_NE(line.find(" api=timerfd_create"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(notes, 2) << run.report;  // the parent and its child
  ShimRun in_scope = Sites("fork", {{"TIMERSEM_SCOPE", "prog_shim_sites"}});
  EXPECT_EQ(in_scope.report.find("outside TIMERSEM_SCOPE"), std::string::npos) << in_scope.report;
}

TEST(ShimSite, ReportGoesToStderrByDefault) {
  ShimRun run = Sites("two_callers", {{"TIMERSEM_REPORT", "stderr"}});
  EXPECT_EQ(ReportedIds(run.err).size(), 2u) << run.err;
}

TEST(ShimSite, ShimAnnouncesItselfInAReportFile) {
  ShimRun run = Sites("two_callers", {{"TIMERSEM", "new"}});
  EXPECT_NE(run.report.find("timerbisect: shim active pid="), std::string::npos);
  EXPECT_TRUE(ReportedIds(run.report).empty());  // no pattern, no reports
}

// Edges of site identity (tests/progs/shim_site_edges.c).
ShimRun Edges(const std::vector<std::string>& args, const std::string& timersem) {
  ShimRun run = RunUnderShim("shim_site_edges", args, {{"TIMERSEM", timersem}}, 120);
  EXPECT_EQ(run.signal, 0) << "killed: a hang? " << run.err;
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run;
}

// A site in a signal handler ends at the signal frame: one ID, wherever the
// signal landed (before: one per interrupted instruction).
TEST(ShimSiteEdges, SignalHandlerSiteHasOneIdWhereverTheSignalLands) {
#if TIMERBISECT_TSAN
  // ThreadSanitizer defers asynchronous signals to its own safe points; the
  // program's busy loop has none, and the handler never ran (a 120 s hang).
  GTEST_SKIP() << "ThreadSanitizer defers asynchronous signals";
#endif
  ShimRun run = Edges({"signal"}, "new#vy");
  // At least 40: one more signal may land before the timer is turned off.
  ASSERT_FALSE(Field(run.out, "handled").empty()) << run.out;
  EXPECT_GE(std::stoi(Field(run.out, "handled")), 40) << run.out;
  std::set<std::uint64_t> ids = ReportedIds(run.report);
  // The setitimer calls are two sites of their own; the handler's sleep one.
  EXPECT_EQ(ids.size(), 3u) << run.report;
}

// A signal handler that calls alarm() while its thread is inside fork()
// (a 50 us timer against 500 forks): no deadlock in any mode.
TEST(ShimSiteEdges, SignalHandlerDuringForkDoesNotDeadlock) {
#if TIMERBISECT_SANITIZED
  const std::string forks = "100";  // a fork under a sanitizer costs about 50 ms here
#else
  const std::string forks = "500";
#endif
  for (const char* timersem : {"old", "new", "watch"}) {
    ShimRun run = Edges({"fork_signal", forks}, timersem);
    EXPECT_EQ(Field(run.out, "forks"), forks) << timersem;
  }
}

// A library loaded where another was unloaded, same offsets: its own site,
// not a cached decision of the library that left.
TEST(ShimSiteEdges, LibraryLoadedWhereAnotherWasUnloadedIsAnotherSite) {
  const std::string dir = TIMERBISECT_PROGS_DIR;
  ShimRun run =
      Edges({"dlclose", dir + "/libshim_unload_a.so", dir + "/libshim_unload_b.so"}, "new#vy");
  ASSERT_EQ(Field(run.out, "same_address"), "1")
      << "the second library was not mapped where the first was; this test needs it";
  EXPECT_EQ(ReportedIds(run.report).size(), 2u) << run.report;
  EXPECT_NE(run.report.find("libshim_unload_a.so+0x"), std::string::npos) << run.report;
  EXPECT_NE(run.report.find("libshim_unload_b.so+0x"), std::string::npos) << run.report;
  // Each copy's frames are named from its own symbol table, not from the
  // one read for the copy unloaded before it.
  EXPECT_NE(run.report.find(" made_in_copy_a\n"), std::string::npos) << run.report;
  EXPECT_NE(run.report.find(" made_in_copy_b\n"), std::string::npos) << run.report;
}

}  // namespace
}  // namespace timerbisect::testing
