// The shim's per-process bookkeeping at the edges: descriptors closed
// behind its back (closefrom, a raw close_range), a vfork child sharing its
// tables, an _Fork child no fork handler told about, and watch counts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "files.h"
#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

constexpr const char* kProg = "shim_proc_edges";

std::string ScratchFile(const std::string& name) {
  std::string path = ::testing::TempDir() + "tb-proc-" + std::to_string(getpid()) + "-" + name;
  unlink(path.c_str());
  return path;
}

// The program's own file holds exactly what it wrote, and the site was
// reported to the shim's report file: its descriptor was not lost to, or
// confused with, the program's file.
void ExpectReportsKeptApart(const char* scenario) {
  std::string mine = ScratchFile(scenario);
  ShimRun run = RunUnderShim(kProg, {scenario, mine}, {{"TIMERSEM", "new#y"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Field(run.out, "done"), "1");
  EXPECT_EQ(ReadFile(mine), "mine\n");
  EXPECT_EQ(ReportedIds(run.report).size(), 1u) << run.report;
  unlink(mine.c_str());
}

TEST(ShimProc, ClosefromLeavesTheReportFileAlone) {
  ExpectReportsKeptApart("closefrom");
}

TEST(ShimProc, ARawCloseRangeThenTheNumberReusedReopensTheReportFile) {
  ExpectReportsKeptApart("raw_close");
}

// A relative TIMERSEM_REPORT names the file in the directory the process
// started in: the reopen after a raw close finds that file, not one of the
// same name in the directory the program moved to.
TEST(ShimProc, ARelativeReportFileIsReopenedWhereItWasAfterAChdir) {
  std::string mine = ScratchFile("rel-mine");
  std::string report = "tb-proc-" + std::to_string(getpid()) + "-rel-report";
  char dir_template[] = "/tmp/tb-proc-dir-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string elsewhere = dir_template;
  unlink(report.c_str());
  ShimRun run = RunUnderShim(kProg, {"raw_close", mine, elsewhere},
                             {{"TIMERSEM", "new#y"}, {"TIMERSEM_REPORT", report}});
  std::string kept = ReadFile(report), strayed = ReadFile(elsewhere + "/" + report);
  unlink(report.c_str());
  unlink((elsewhere + "/" + report).c_str());
  rmdir(elsewhere.c_str());
  unlink(mine.c_str());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReportedIds(kept).size(), 1u) << kept;
  EXPECT_EQ(strayed, "");
}

// A vfork child's close of a timerfd must not wipe the parent's record of
// it: old mode still keeps the expiration pending across the re-arm.
TEST(ShimProc, VforkChildClosingATimerfdLeavesTheParentsTableAlone) {
  EXPECT_EQ(Field(Out(kProg, "vfork", "old"), "stale"), "1");
  EXPECT_EQ(Field(Out(kProg, "vfork", "new"), "stale"), "0");
}

// Sum of one kind of watch count over every stats line of the report.
long SumStats(const std::string& report, const std::string& key) {
  std::regex stat(key + "=(\\d+)");
  long sum = 0;
  std::istringstream in(report);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.find("timerbisect stats") != std::string::npos && std::regex_search(line, m, stat)) {
      sum += std::stol(m[1]);
    }
  }
  return sum;
}

// An _Fork child runs no fork handler: at its exit it must not report its
// parent's counts again (they were doubled).
TEST(ShimProc, AnForkChildDoesNotReportItsParentsCountsAgain) {
  ShimRun run = RunUnderShim(kProg, {"_fork"}, {{"TIMERSEM", "watch"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Field(run.out, "child_status"), "0");
  EXPECT_EQ(SumStats(run.report, "arms") + SumStats(run.report, "rearms"), 3) << run.report;
}

// A disarm arms nothing: it is neither an arm nor a re-arm.
TEST(ShimProc, WatchCountsADisarmAsNeitherArmNorRearm) {
  ShimRun run = RunUnderShim(kProg, {"disarm"}, {{"TIMERSEM", "watch"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(SumStats(run.report, "arms"), 1) << run.report;
  EXPECT_EQ(SumStats(run.report, "rearms"), 0) << run.report;
}

// io_uring timeouts bypass libc: a process holding a ring at exit is named
// in watch mode, so `sites` can say its waits are not covered.
TEST(ShimProc, WatchModeNamesAProcessThatUsedIoUring) {
  ShimRun run = RunUnderShim(kProg, {"io_uring"}, {{"TIMERSEM", "watch"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  if (!Field(run.out, "skip").empty()) GTEST_SKIP() << run.out;
  EXPECT_NE(run.report.find("timerbisect: io_uring pid="), std::string::npos) << run.report;
  ShimRun plain = RunUnderShim(kProg, {"disarm"}, {{"TIMERSEM", "watch"}});
  EXPECT_EQ(plain.report.find("io_uring"), std::string::npos) << plain.report;
}

}  // namespace
}  // namespace timerbisect::testing
