// The built driver against targets that go wrong in every common way
// (tests/progs/robust_target.c): crashes with each common signal, hangs
// with grandchildren, megabytes of binary output, a closed stderr, daemons
// that outlive the target, a target that never uses a timer, and Ctrl-C
// mid-search. Each time: the site is still found (or the one-line
// verdict is right), nothing of the target is left running, and the
// messages are asserted word for word.
//
// The target's one culprit is the disarm of an expired watchdog: under
// new semantics its SIGALRM is lost and the target fails in the way asked.
// A driver killed with SIGKILL and resumed with --journal is covered by
// driver_journal_test.cc (DriverJournal.ResumesAfterSigkillWithoutRerunningAndSameAnswer).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "driver_harness.h"

namespace timerbisect::robust {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::Exit;
using testing::LineCount;
using testing::ReadFile;
using testing::ScratchDir;
using testing::StartChild;
using testing::WaitChild;

// Orphaned grandchildren of killed probes become ours, not init's, so they
// are reaped promptly and /proc shows no zombie of theirs for long.
const bool kSubreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

// Nothing that should finish comes near this: a safety net, not a threshold.
constexpr milliseconds kSafetyTimeout{120000};

// Live (not zombie) processes whose command line contains `marker`.
std::vector<pid_t> ProcessesWith(const std::string& marker) {
  std::vector<pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::string base = std::string("/proc/") + entry->d_name;
    std::string cmdline = ReadFile(base + "/cmdline");  // empty for a zombie
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) != std::string::npos) found.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return found;
}

void ReapOrphans() {
  if (!kSubreaper) return;
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

// The processes carrying `marker` once they are stable: a killed process
// may take a moment to leave /proc, so this waits (up to the safety
// timeout) for the list to reach `expected` entries.
std::vector<pid_t> SettledProcessesWith(const std::string& marker, std::size_t expected) {
  auto give_up = std::chrono::steady_clock::now() + kSafetyTimeout;
  std::vector<pid_t> pids;
  for (;;) {
    ReapOrphans();
    pids = ProcessesWith(marker);
    if (pids.size() == expected || std::chrono::steady_clock::now() >= give_up) return pids;
    timespec pause = {0, 20'000'000};
    nanosleep(&pause, nullptr);
  }
}

// Starts argv (no shell) with stdout and stderr in files of `dir`.
pid_t Start(const ScratchDir& dir, const std::vector<std::string>& argv) {
  return StartChild(argv, dir.File("driver.out"), dir.File("driver.err"));
}

// Waits for the driver; kills it after the safety timeout (a hang).
Exit Finish(const ScratchDir& dir, pid_t pid) {
  Exit result = WaitChild(pid, kSafetyTimeout, dir.File("driver.out"), dir.File("driver.err"));
  if (result.timed_out) ADD_FAILURE() << "the driver hung";
  return result;
}

// The driver's answer for `args`, read from --json.
struct DriverAnswer {
  Exit exit;
  json answer;
};

DriverAnswer RunDriver(const ScratchDir& dir, const std::vector<std::string>& subcommand,
                       const std::vector<std::string>& flags,
                       const std::vector<std::string>& target) {
  std::string json_path = dir.File("answer.json");
  std::vector<std::string> argv = {TIMERBISECT_DRIVER};
  argv.insert(argv.end(), subcommand.begin(), subcommand.end());
  argv.insert(argv.end(), {"--shim", TIMERBISECT_SHIM, "--json", json_path});
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("--");
  argv.push_back(ROBUST_TARGET);
  argv.insert(argv.end(), target.begin(), target.end());
  DriverAnswer result;
  result.exit = Finish(dir, Start(dir, argv));
  std::string text = ReadFile(json_path);
  if (!text.empty()) result.answer = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return result;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The one set the target has: the watchdog disarm, a setitimer site whose
// innermost frame is StopWatchdog, failing under new semantics (stale).
void ExpectTheWatchdogSet(const DriverAnswer& got) {
  ASSERT_EQ(got.exit.code, 0) << got.exit.out << got.exit.err;
  ASSERT_TRUE(got.answer.is_object()) << "no JSON answer; stdout:\n" << got.exit.out;
  EXPECT_EQ(got.answer.value("outcome", ""), "found");
  ASSERT_EQ(got.answer["sets"].size(), 1u) << got.answer.dump(2);
  const json& set = got.answer["sets"][0];
  EXPECT_EQ(set.value("mode", ""), "new");
  EXPECT_EQ(set.value("aspects", std::vector<std::string>{}), std::vector<std::string>{"stale"});
  ASSERT_EQ(set["sites"].size(), 1u) << set.dump(2);
  const json& site = set["sites"][0];
  EXPECT_EQ(site.value("api", ""), "setitimer");
  ASSERT_FALSE(site["frames"].empty()) << site.dump(2);
  EXPECT_EQ(site["frames"][0].value("function", ""), "StopWatchdog") << site.dump(2);
  EXPECT_EQ(Lines(got.exit.out).front(),
            "timerbisect: found 1 set (" + std::to_string(got.answer.value("probes", 0)) +
                " probes, " + std::to_string(got.answer.value("runs", 0)) + " runs)");
}

struct CrashCase {
  const char* how;   // robust_target's name for it
  const char* kind;  // the driver's failure kind
};

class CrashingTarget : public ::testing::TestWithParam<CrashCase> {};

// Under all-new the target dies of the signal; the search still ends at
// the culprit, and -v shows each failing run's kind.
TEST_P(CrashingTarget, SiteIsFoundAndEveryFailingRunNamesTheSignal) {
  ScratchDir dir("robust");
  DriverAnswer got = RunDriver(dir, {}, {"-v"}, {"crash", GetParam().how});
  ExpectTheWatchdogSet(got);
  const std::string kind = std::string("(") + GetParam().kind + ")";
  int failing = 0, passing = 0;
  for (const std::string& line : Lines(got.exit.err)) {
    if (line.rfind("--- output of run ", 0) != 0) continue;
    bool is_kind = line.size() > kind.size() &&
                   line.compare(line.size() - kind.size(), kind.size(), kind) == 0;
    bool is_pass = line.ends_with("(pass)");
    EXPECT_TRUE(is_kind || is_pass) << line;
    failing += is_kind;
    passing += is_pass;
  }
  EXPECT_GT(failing, 0) << got.exit.err;
  EXPECT_GT(passing, 0) << got.exit.err;
  EXPECT_NE(got.exit.err.find("timerbisect: native run: pass\n"), std::string::npos);
  // Said before the native run, which may hang.
  EXPECT_EQ(got.exit.err.rfind("timerbisect: native run (the command with its timers untouched) "
                               "started; stopped after 10m (--timeout sets it)\n",
                               0),
            0u)
      << got.exit.err;
}

INSTANTIATE_TEST_SUITE_P(
    EveryCommonSignal, CrashingTarget,
    ::testing::Values(CrashCase{"segv", "signal SIGSEGV"}, CrashCase{"abort", "signal SIGABRT"},
                      CrashCase{"bus", "signal SIGBUS"}, CrashCase{"fpe", "signal SIGFPE"},
                      CrashCase{"ill", "signal SIGILL"}, CrashCase{"kill", "signal SIGKILL"}),
    [](const ::testing::TestParamInfo<CrashCase>& info) { return std::string(info.param.how); });

#ifdef ASAN_GCC_TARGET
// The probes a driver's --journal recorded (after its identity line).
int JournalRuns(const std::string& path) {
  return std::max(0, LineCount(path) - 1);
}

// g++'s AddressSanitizer exits at start when the shim comes first in the
// library list: one line that says so and what to set (exit 2), right
// after the run that showed it (bisect: the native run, no search; triage:
// its first round, no progress line), and no such run in --journal. With
// that set, the target runs under the shim, and the same journal resumes
// with nothing replayed.
// The driver runs through env(1), which sets ASAN_OPTIONS or removes it.
TEST(AsanGccTarget, RefusedPreloadSaysWhatToSetAndThenRuns) {
  ScratchDir dir("asan_gcc");
  const std::string journal = dir.path() + "/journal";
  for (std::string subcommand : {"bisect", "triage"}) {
    std::vector<std::string> argv = {"/usr/bin/env",
                                     "-u",
                                     "ASAN_OPTIONS",
                                     TIMERBISECT_DRIVER,
                                     subcommand,
                                     "--shim",
                                     TIMERBISECT_SHIM,
                                     "--journal",
                                     journal + "." + subcommand,
                                     "--",
                                     ASAN_GCC_TARGET};
    Exit refused = Finish(dir, Start(dir, argv));
    EXPECT_EQ(refused.code, 2) << subcommand << ": " << refused.err;
    std::vector<std::string> lines = Lines(refused.err);
    ASSERT_FALSE(lines.empty()) << subcommand;
    EXPECT_NE(lines.back().find("add verify_asan_link_order=0 to ASAN_OPTIONS"), std::string::npos)
        << subcommand << ": " << refused.err;
    for (const std::string& line : lines) {
      EXPECT_EQ(line.find("running each up to"), std::string::npos) << refused.err;
      EXPECT_EQ(line.find("probe "), std::string::npos) << refused.err;
      EXPECT_EQ(line.find("timerbisect: triage:"), std::string::npos) << refused.err;
    }
    EXPECT_EQ(JournalRuns(journal + "." + subcommand), 0) << subcommand;
  }

  std::vector<std::string> argv = {"/usr/bin/env",      "ASAN_OPTIONS=verify_asan_link_order=0",
                                   TIMERBISECT_DRIVER,  "--shim",
                                   TIMERBISECT_SHIM,    "--journal",
                                   journal + ".bisect", "--",
                                   ASAN_GCC_TARGET};
  Exit runs = Finish(dir, Start(dir, argv));
  EXPECT_NE(runs.err.find("timerbisect: native run: pass\n"), std::string::npos) << runs.err;
  EXPECT_EQ((runs.out + runs.err).find("AddressSanitizer"), std::string::npos) << runs.err;
  EXPECT_NE((runs.out + runs.err).find("not timer-sensitive"), std::string::npos)
      << runs.out << runs.err;
  EXPECT_GT(JournalRuns(journal + ".bisect"), 0);
}
#endif

// `sites` runs the target once under watch (native semantics): it passes,
// and a crash under new is no concern of the listing.
TEST(CrashingTarget, SitesListsTheWatchdogOfAPassingRun) {
  ScratchDir dir("robust");
  DriverAnswer got = RunDriver(dir, {"sites"}, {}, {"crash", "segv"});
  ASSERT_EQ(got.exit.code, 0) << got.exit.err;
  EXPECT_EQ(got.answer.value("result", ""), "pass");
  std::vector<std::string> apis;
  for (const json& site : got.answer["sites"]) apis.push_back(site.value("api", ""));
  std::sort(apis.begin(), apis.end());
  EXPECT_EQ(apis, (std::vector<std::string>{"setitimer", "timerfd_create", "timerfd_create"}));
}

// Failing probes hang (a child and a grandchild sleeping with them):
// --timeout kills each whole process group, so the search completes, and
// afterwards no process of the target is left.
TEST(HangingTarget, TimeoutKillsGrandchildrenAndTheSiteIsFound) {
  ScratchDir dir("robust");
  DriverAnswer got = RunDriver(dir, {}, {"-q", "--timeout", "1s"}, {"hang", dir.path()});
  ExpectTheWatchdogSet(got);
  // Some probes did hang (each left its mark before blocking).
  int hung = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    hung += entry.path().filename().string().rfind("hung-", 0) == 0;
  }
  EXPECT_GT(hung, 0);
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 0);
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the target still run";
}

// Waits until a probe of the "hang" target is blocked for good (it marks
// itself hung in `dir` first); false after the safety timeout.
bool WaitUntilAProbeHangs(const ScratchDir& dir) {
  auto give_up = std::chrono::steady_clock::now() + kSafetyTimeout;
  while (std::chrono::steady_clock::now() < give_up) {
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      if (entry.path().filename().string().rfind("hung-", 0) == 0) return true;
    }
    timespec pause = {0, 10'000'000};
    nanosleep(&pause, nullptr);
  }
  return false;
}

// The driver, one probe at a time and a 100 s timeout, on the target's
// "hang" behaviour (it marks itself hung in `dir`, then blocks for good).
pid_t StartOnHangingTarget(const ScratchDir& dir) {
  return Start(dir, {TIMERBISECT_DRIVER, "-q", "-j", "1", "--shim", TIMERBISECT_SHIM, "--timeout",
                     "100s", "--", ROBUST_TARGET, "hang", dir.path()});
}

// Ctrl-C while a probe hangs: the driver stops it (its whole group), says
// so in one line and exits 130, the shell's code for SIGINT.
TEST(HangingTarget, SigintStopsTheRunningProbeInOneLineAndExits130) {
  ScratchDir dir("robust");
  pid_t driver = StartOnHangingTarget(dir);
  // Wait until a probe is blocked for good: it marks itself hung first.
  ASSERT_TRUE(WaitUntilAProbeHangs(dir)) << "no probe of the target ever hung";
  ASSERT_FALSE(ProcessesWith(dir.path()).empty());
  ASSERT_EQ(kill(driver, SIGINT), 0);
  Exit got = Finish(dir, driver);
  EXPECT_EQ(got.code, 130);
  EXPECT_EQ(got.err, "timerbisect: interrupted; stopped 1 running probe\n");
  EXPECT_EQ(got.out, "");
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 0);
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the target still run";
}

// Without -q the terminal is told how to resume too, not only the --json.
TEST(HangingTarget, SigintTellsTheTerminalHowToResume) {
  ScratchDir dir("robust");
  pid_t driver =
      Start(dir, {TIMERBISECT_DRIVER, "-j", "1", "--shim", TIMERBISECT_SHIM, "--timeout", "100s",
                  "--journal", dir.File("journal"), "--", ROBUST_TARGET, "hang", dir.path()});
  ASSERT_TRUE(WaitUntilAProbeHangs(dir)) << "no probe of the target ever hung";
  ASSERT_EQ(kill(driver, SIGINT), 0);
  Exit got = Finish(dir, driver);
  EXPECT_EQ(got.code, 130);
  EXPECT_NE(got.err.find("timerbisect: interrupted; stopped 1 running probe\n"
                         "timerbisect: interrupted by SIGINT after "),
            std::string::npos)
      << got.err;
  EXPECT_NE(got.err.find(" runs: no answer yet; run the same command again to resume from " +
                         dir.File("journal") + "\n"),
            std::string::npos)
      << got.err;
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 0);
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the target still run";
}

// A CI job's timeout sends SIGTERM: the --json still says what happened
// (outcome "interrupted", the runs made, how to resume) instead of being
// missing, and the exit code is 143.
TEST(HangingTarget, SigtermLeavesAJsonThatSaysInterrupted) {
  ScratchDir dir("robust");
  const std::string json = dir.File("answer.json");
  pid_t driver = Start(dir, {TIMERBISECT_DRIVER, "-q", "-j", "1", "--shim", TIMERBISECT_SHIM,
                             "--timeout", "100s", "--json", json, "--journal", dir.File("journal"),
                             "--", ROBUST_TARGET, "hang", dir.path()});
  ASSERT_TRUE(WaitUntilAProbeHangs(dir)) << "no probe of the target ever hung";
  ASSERT_EQ(kill(driver, SIGTERM), 0);
  Exit got = Finish(dir, driver);
  EXPECT_EQ(got.code, 143);
  auto answer = nlohmann::json::parse(ReadFile(json));
  EXPECT_EQ(answer["outcome"], "interrupted") << answer.dump(2);
  EXPECT_EQ(answer["sets"], nlohmann::json::array());
  EXPECT_TRUE(answer["probes"].is_null()) << "the search's count is not known";
  const std::string message = answer["message"];
  EXPECT_EQ(message.rfind("interrupted by SIGTERM after ", 0), 0u) << message;
  EXPECT_NE(message.find("run the same command again to resume from " + dir.File("journal")),
            std::string::npos)
      << message;
  EXPECT_GE(answer["runs"].get<int>(), 0);
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 0);
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the target still run";
}

// Interrupted while it finds the aspects of a set the search and its
// checks have found: the set is printed, and the --json has it, marked
// interrupted, instead of "no answer yet".
TEST(HangingTarget, SigintWhileFindingAspectsKeepsTheSetFound) {
  ScratchDir dir("robust");
  const std::string json = dir.File("answer.json");
  pid_t driver =
      Start(dir, {TIMERBISECT_DRIVER, "-q", "-j", "1", "--shim", TIMERBISECT_SHIM, "--timeout",
                  "100s", "--json", json, "--", ROBUST_TARGET, "hang-aspects", dir.path()});
  ASSERT_TRUE(WaitUntilAProbeHangs(dir)) << "no aspect run of the target ever hung";
  ASSERT_EQ(kill(driver, SIGINT), 0);
  Exit got = Finish(dir, driver);
  EXPECT_EQ(got.code, 130);
  EXPECT_NE(got.out.find("TIMERSEM="), std::string::npos) << "no reproduce line:\n" << got.out;
  EXPECT_NE(got.out.find("StopWatchdog"), std::string::npos) << got.out;
  auto answer = nlohmann::json::parse(ReadFile(json));
  EXPECT_EQ(answer["outcome"], "interrupted") << answer.dump(2);
  ASSERT_EQ(answer["sets"].size(), 1u) << answer.dump(2);
  const std::string message = answer["message"];
  EXPECT_EQ(message.rfind("interrupted by SIGINT while finding which aspect each set needs", 0), 0u)
      << message;
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 0);
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the target still run";
}

// One chance failure of a set's configuration with only the latency aspect
// (a late wakeup on a busy machine) does not name that aspect: it must
// fail 3 times before it passes twice. Only stale is named.
TEST(AspectAttribution, OneChanceFailureNamesNoAspect) {
  ScratchDir dir("robust");
  const std::string json = dir.File("answer.json");
  Exit got = RunCommand(dir,
                        {TIMERBISECT_DRIVER, "-j", "1", "--shim", TIMERBISECT_SHIM, "--json", json,
                         "--", ROBUST_TARGET, "aspect-fluke", dir.path()},
                        std::chrono::seconds(120));
  ASSERT_EQ(got.code, 0) << got.err;
  ASSERT_TRUE(std::filesystem::exists(dir.File("fluked"))) << "the fluke never happened";
  auto answer = nlohmann::json::parse(ReadFile(json));
  ASSERT_EQ(answer["sets"].size(), 1u) << answer.dump(2);
  EXPECT_EQ(answer["sets"][0]["aspects"], nlohmann::json({"stale"})) << answer.dump(2);
  EXPECT_NE(got.err.find("aspect stale of set 1 of 1: needed (4 runs)"), std::string::npos)
      << got.err;
  EXPECT_NE(got.err.find("aspect latency of set 1 of 1: not needed (4 runs)"), std::string::npos)
      << got.err;
}

// Interrupted while the search looks for a further set, after it settled
// one: that set is printed, and the --json has it, marked interrupted, with
// how to resume. The explicit ID split and the suffix search settle a set
// once its confirmation fails; the run with the set excluded then hangs.
// (The adaptive search, and the default's adaptive step, hand out their
// sets the same way: auto_search_test's SettledSets.)
class SettledSetBeforeInterrupt : public ::testing::TestWithParam<const char*> {};

TEST_P(SettledSetBeforeInterrupt, IsPrintedAndKeptInTheJson) {
  ScratchDir dir("robust");
  const std::string json = dir.File("answer.json");
  pid_t driver = Start(dir, {TIMERBISECT_DRIVER, "-q", "-j", "1", "--algorithm", GetParam(),
                             "--shim", TIMERBISECT_SHIM, "--timeout", "100s", "--json", json, "--",
                             ROBUST_TARGET, "hang-further", dir.path()});
  ASSERT_TRUE(WaitUntilAProbeHangs(dir)) << "no run of the target ever hung";
  ASSERT_EQ(kill(driver, SIGINT), 0);
  Exit got = Finish(dir, driver);
  EXPECT_EQ(got.code, 130);
  EXPECT_NE(got.out.find("timerbisect: found 1 set before the interrupt ("), std::string::npos)
      << got.out;
  EXPECT_NE(got.out.find("StopWatchdog"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("TIMERSEM="), std::string::npos) << "no reproduce line:\n" << got.out;
  auto answer = nlohmann::json::parse(ReadFile(json));
  EXPECT_EQ(answer["outcome"], "interrupted") << answer.dump(2);
  ASSERT_EQ(answer["sets"].size(), 1u) << answer.dump(2);
  const std::string message = answer["message"];
  EXPECT_EQ(message.rfind("interrupted by SIGINT after ", 0), 0u) << message;
  EXPECT_NE(message.find(" runs, while searching for a further set: 1 set found and confirmed so "
                         "far, and there may be more; give --journal FILE"),
            std::string::npos)
      << message;
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 0);
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the target still run";
}

INSTANTIATE_TEST_SUITE_P(Algorithm, SettledSetBeforeInterrupt, ::testing::Values("id", "suffix"));

// The same for triage's --junit, which a CI system reads: one test case in
// error instead of no file.
TEST(HangingTarget, SigtermDuringTriageLeavesAJunitInError) {
  ScratchDir dir("robust");
  const std::string junit = dir.File("triage.xml"), json = dir.File("triage.json");
  pid_t driver = Start(
      dir, {TIMERBISECT_DRIVER, "triage", "-q", "-j", "1", "--shim", TIMERBISECT_SHIM, "--timeout",
            "100s", "--junit", junit, "--json", json, "--", ROBUST_TARGET, "hang", dir.path()});
  ASSERT_TRUE(WaitUntilAProbeHangs(dir)) << "no probe of the target ever hung";
  ASSERT_EQ(kill(driver, SIGTERM), 0);
  Exit got = Finish(dir, driver);
  EXPECT_EQ(got.code, 143);
  const std::string xml = ReadFile(junit);
  EXPECT_NE(xml.find("<error message=\"interrupted by SIGTERM after "), std::string::npos) << xml;
  EXPECT_NE(xml.find("give --journal FILE"), std::string::npos) << xml;
  auto answer = nlohmann::json::parse(ReadFile(json));
  EXPECT_EQ(answer["verdict"], "interrupted") << answer.dump(2);
  // What ran, and the rates of the rounds that ended (none: the first hung).
  EXPECT_EQ(answer["command"], nlohmann::json({ROBUST_TARGET, "hang", dir.path()}));
  ASSERT_EQ(answer["rates"].size(), 3u) << answer.dump(2);
  EXPECT_EQ(answer["rates"][2]["configuration"], "all-new");
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 0);
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the target still run";
}

// The driver killed with SIGKILL while a probe hangs (its group, grandchild
// included, is in a process group of its own): no probe outlives it.
TEST(HangingTarget, SigkilledDriverLeavesNoProbeBehind) {
  ScratchDir dir("robust");
  pid_t driver = StartOnHangingTarget(dir);
  ASSERT_TRUE(WaitUntilAProbeHangs(dir)) << "no probe of the target ever hung";
  ASSERT_FALSE(ProcessesWith(dir.path()).empty());
  ASSERT_EQ(kill(driver, SIGKILL), 0);
  int status = 0;
  waitpid(driver, &status, 0);
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 0);
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the target outlived the driver";
  for (pid_t pid : left) kill(pid, SIGKILL);  // never leave them behind, even on failure
}

// 4 MB of binary junk per run (every byte value, NUL included) neither
// slows the search into a hang nor leaks into the driver's own output.
TEST(SpewingTarget, MegabytesOfBinaryOutputDoNotDisturbTheSearch) {
  ScratchDir dir("robust");
  DriverAnswer got = RunDriver(dir, {}, {"-q"}, {"spew", "4000000"});
  ExpectTheWatchdogSet(got);
  EXPECT_EQ(got.exit.out.find('\0'), std::string::npos);
  EXPECT_EQ(got.exit.err, "");
}

// A target that closes its stderr first: the shim writes its reports to
// the driver's TIMERSEM_REPORT file, not to fd 2, so nothing is lost.
TEST(ClosedStderrTarget, ReportsStillReachTheDriver) {
  ScratchDir dir("robust");
  ExpectTheWatchdogSet(RunDriver(dir, {}, {"-q"}, {"closed-stderr", "-"}));
  DriverAnswer sites = RunDriver(dir, {"sites"}, {}, {"closed-stderr", "-"});
  ASSERT_EQ(sites.exit.code, 0) << sites.exit.err;
  EXPECT_EQ(sites.answer["sites"].size(), 3u) << sites.answer.dump(2);
}

// Daemons (setsid, then sleep) escape the probe's process group, so the
// launcher's group kill cannot reach them; timerbisect leaves them running,
// as the target would when run by hand, and this test kills them itself.
// One that keeps the output pipe open costs each run the launcher's drain
// bound (2 s), so the pipe holder runs once, under `sites`; the search runs
// on a daemon whose stdio is /dev/null.
TEST(DaemonTarget, APipeHoldingDaemonDoesNotHangTheDriver) {
  ScratchDir dir("robust");
  DriverAnswer got = RunDriver(dir, {"sites"}, {}, {"daemon", dir.path()});
  ASSERT_EQ(got.exit.code, 0) << got.exit.err;
  EXPECT_EQ(got.answer.value("result", ""), "pass");
  // The target's three sites, and the daemon's own sleep: its report
  // reached the driver too.
  std::vector<std::string> apis;
  for (const json& site : got.answer["sites"]) apis.push_back(site.value("api", ""));
  std::sort(apis.begin(), apis.end());
  EXPECT_EQ(apis,
            (std::vector<std::string>{"setitimer", "sleep", "timerfd_create", "timerfd_create"}));
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), 1);
  EXPECT_EQ(left.size(), 1u) << "the daemon escaped the group and is still running";
  for (pid_t pid : left) kill(pid, SIGKILL);
  EXPECT_TRUE(SettledProcessesWith(dir.path(), 0).empty());
}

TEST(DaemonTarget, SearchFindsTheSiteAndLeavesOneDaemonPerRun) {
  ScratchDir dir("robust");
  DriverAnswer got = RunDriver(dir, {}, {"-q"}, {"quiet-daemon", dir.path()});
  ExpectTheWatchdogSet(got);
  const std::size_t runs = static_cast<std::size_t>(got.answer.value("runs", 0));
  std::vector<pid_t> left = SettledProcessesWith(dir.path(), runs);
  EXPECT_EQ(left.size(), runs);
  for (pid_t pid : left) kill(pid, SIGKILL);
  EXPECT_TRUE(SettledProcessesWith(dir.path(), 0).empty());
}

// A target that exits before it uses any timer is not timer-sensitive,
// whatever its exit code: exit 1 and one clear line.
class EarlyExitTarget : public ::testing::TestWithParam<const char*> {};

TEST_P(EarlyExitTarget, IsNotTimerSensitiveInOneLine) {
  ScratchDir dir("robust");
  DriverAnswer got = RunDriver(dir, {}, {"-q"}, {"early-exit", GetParam()});
  EXPECT_EQ(got.exit.code, 1) << got.exit.out << got.exit.err;
  const std::string native =
      std::string(GetParam()) == "0" ? "pass" : "exit " + std::string(GetParam());
  EXPECT_EQ(got.exit.out,
            "timerbisect: not timer-sensitive: the shim was loaded but no run reached a timer "
            "site (" +
                native + " natively)\n");
  EXPECT_EQ(got.exit.err, "");
  EXPECT_EQ(got.answer.value("outcome", ""), "not-timer-sensitive");
}

INSTANTIATE_TEST_SUITE_P(PassingAndFailing, EarlyExitTarget, ::testing::Values("0", "3"));

// A scope that leaves out every site the target reaches says that, not that
// no timer was reached (which sends a user looking in the wrong place).
TEST(ScopeThatMatchesNoSite, SaysSoInOneLine) {
  ScratchDir dir("robust");
  DriverAnswer got =
      RunDriver(dir, {}, {"-q", "--scope", "^no-such-function$"}, {"crash", "abort"});
  EXPECT_EQ(got.exit.code, 1) << got.exit.out << got.exit.err;
  EXPECT_EQ(got.exit.out,
            "timerbisect: not timer-sensitive: no timer site matched --scope ^no-such-function$: "
            "the runs reached timer sites, but none with a frame whose module path or function "
            "name (as in the symbol table) matches it; an inlined function has no symbol of its "
            "own, so match the one it was inlined into (pass natively)\n");
  EXPECT_EQ(got.answer.value("outcome", ""), "not-timer-sensitive");
}

}  // namespace
}  // namespace timerbisect::robust
