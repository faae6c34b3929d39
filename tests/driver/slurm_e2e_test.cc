// The driver with --launcher slurm on a real single-node Slurm
// (scripts/slurm_local.sh): bisect of examples/many_sites and triage of
// examples/ci_ctest give the local run's answer, the journal says where
// each probe ran, and no job is left in squeue afterwards, after Ctrl-C or
// after a SIGKILL mid-search. Plus the prefix launcher (`--launcher env`),
// which needs no cluster. Slurm tests skip with the script's reason where
// it cannot run (not root, no apt-get).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "driver_harness.h"
#include "slurm_cluster.h"

namespace timerbisect {
namespace {

using namespace std::chrono_literals;
using testing::Exit;
using testing::ReadFile;
using testing::RunCommand;
using testing::ScratchDir;
using testing::StartChild;
using testing::WaitChild;

constexpr auto kPatience = 300s;

std::string Hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

class SlurmE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason = testing::StartSlurm(SLURM_LOCAL_SCRIPT, SLURM_STARTED_MARK);
    if (!reason.empty()) GTEST_SKIP() << reason;
  }
};

// The IDs of each set of a --json result (bisect's, or triage's "bisect").
std::vector<std::vector<std::string>> SetIds(const nlohmann::json& result) {
  std::vector<std::vector<std::string>> sets;
  for (const auto& set : result.value("sets", nlohmann::json::array())) {
    std::vector<std::string> ids;
    for (const auto& site : set["sites"]) ids.push_back(site["id"]);
    sets.push_back(ids);
  }
  return sets;
}

std::vector<std::string> Driver(std::vector<std::string> args) {
  args.insert(args.begin(), SLURM_E2E_DRIVER);
  return args;
}

// Runs the driver; its pid is the one in its jobs' names, so run it through
// fork here to know it.
struct DriverRun {
  Exit exit;
  pid_t pid = -1;
};

pid_t Spawn(const ScratchDir& dir, const std::vector<std::string>& argv) {
  return StartChild(argv, dir.File("spawn.out"), dir.File("spawn.err"));
}

DriverRun RunDriver(const ScratchDir& dir, const std::vector<std::string>& args) {
  DriverRun run;
  run.pid = Spawn(dir, Driver(args));
  run.exit = WaitChild(run.pid, kPatience, dir.File("spawn.out"), dir.File("spawn.err"));
  return run;
}

TEST_F(SlurmE2E, BisectsManySitesToTheLocalAnswerAndLeavesNoJob) {
  ScratchDir dir("slurm");
  Exit local = RunCommand(
      dir, Driver({"-q", "-j", "2", "--json", dir.File("local.json"), "--", SLURM_E2E_MANY_SITES}),
      kPatience);
  ASSERT_EQ(local.code, 0) << local.err;
  DriverRun slurm =
      RunDriver(dir, {"-q", "-j", "2", "--launcher", "slurm", "--json", dir.File("slurm.json"),
                      "--journal", dir.File("journal"), "--", SLURM_E2E_MANY_SITES});
  ASSERT_EQ(slurm.exit.code, 0) << slurm.exit.err;
  auto want = SetIds(nlohmann::json::parse(ReadFile(dir.File("local.json"))));
  auto got = SetIds(nlohmann::json::parse(ReadFile(dir.File("slurm.json"))));
  EXPECT_EQ(got, want);
  EXPECT_EQ(want.size(), 1u);
  // The reproduce line runs the set where the probes ran.
  auto slurm_json = nlohmann::json::parse(ReadFile(dir.File("slurm.json")));
  ASSERT_EQ(slurm_json["sets"].size(), 1u);
  EXPECT_EQ(slurm_json["sets"][0]["reproduction"]["launcher"],
            nlohmann::json({"srun", "--ntasks=1"}));
  EXPECT_EQ(slurm_json["sets"][0]["reproduce"].get<std::string>().rfind("srun --ntasks=1 env ", 0),
            0u)
      << slurm_json.dump(2);
  EXPECT_EQ(testing::JobsLeftAfter(testing::DriverJobPrefix(slurm.pid), 30s), "");
  // Every probe in the journal says where it ran.
  std::ifstream journal(dir.File("journal"));
  std::string line;
  int probes = 0;
  std::getline(journal, line);  // the identity
  while (std::getline(journal, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_FALSE(j.value("node", "").empty()) << line;
    ++probes;
  }
  EXPECT_GT(probes, 5);
}

// The failing runs of the drain example are hangs, stopped by --timeout:
// through a launcher their reports must still come back (the wrapper stops
// the probe itself and prints them), or the set has no stack and the
// search, seeing a failing "y" that reported no site, calls it flaky.
void ExpectTheDrainAnswerThrough(const std::string& launcher, const std::string& name) {
  ScratchDir dir(name);
  Exit run = RunCommand(dir,
                        Driver({"-q", "--timeout", "3s", "--launcher", launcher, "--json",
                                dir.File("answer.json"), "--", SLURM_E2E_DRAIN}),
                        kPatience);
  ASSERT_EQ(run.code, 0) << run.err;
  auto answer = nlohmann::json::parse(ReadFile(dir.File("answer.json")));
  ASSERT_EQ(answer["sets"].size(), 1u) << answer.dump(2);
  const auto& set = answer["sets"][0];
  EXPECT_EQ(set["aspects"], nlohmann::json({"stale"})) << set.dump(2);
  ASSERT_EQ(set["sites"].size(), 1u);
  EXPECT_FALSE(set["sites"][0]["frames"].empty()) << set.dump(2);
  EXPECT_EQ(set["confidence"], 1.0) << "found by the ID split, not as a flaky target";
}

TEST_F(SlurmE2E, AHangingProbeBringsBackItsReport) {
  ExpectTheDrainAnswerThrough("slurm", "slurm-hang");
}

TEST(PrefixLauncherE2E, AHangingProbeBringsBackItsReport) {
  ExpectTheDrainAnswerThrough("env", "prefix-hang");
}

TEST_F(SlurmE2E, TriagesCiCtestToTheLocalAnswerAndLeavesNoJob) {
  ScratchDir dir("slurm");
  std::string build = dir.File("ci_ctest");
  std::string out;
  ASSERT_EQ(testing::Capture(std::string(SLURM_E2E_CMAKE) + " -S " + SLURM_E2E_CI_EXAMPLE_DIR +
                                 " -B " + build + " -DCMAKE_C_COMPILER=" + SLURM_E2E_C_COMPILER +
                                 " && " + SLURM_E2E_CMAKE + " --build " + build,
                             &out),
            0)
      << out;
  // The local run's answer, pinned by
  // DriverTriage.TimerFlakyCtestIsSensitiveUnderOldAndBisected with the
  // same checks: sensitive under old, one set, the site made in NewWatchdog
  // at the example's CULPRIT line. (Not run again here: a triage takes half
  // a minute on a small machine.)
  DriverRun slurm =
      RunDriver(dir, {"triage", "-q", "-j", "2", "--max-runs", "1000", "--scope",
                      "flaky_timer_test", "--launcher", "slurm", "--json", dir.File("slurm.json"),
                      "--", SLURM_E2E_CTEST, "--test-dir", build, "-R", "flaky_timer"});
  ASSERT_EQ(slurm.exit.code, 0) << slurm.exit.err;
  auto got = nlohmann::json::parse(ReadFile(dir.File("slurm.json")));
  EXPECT_EQ(got["verdict"], "sensitive-under-old") << got.dump(2);
  ASSERT_TRUE(got["bisect"].is_object());
  ASSERT_EQ(got["bisect"]["sets"].size(), 1u) << got.dump(2);
  std::vector<int> culprit = testing::MarkedLines(
      std::string(SLURM_E2E_CI_EXAMPLE_DIR) + "/flaky_timer_test.c", "// CULPRIT");
  ASSERT_EQ(culprit.size(), 1u);
  bool found = false;
  for (const auto& frame : got["bisect"]["sets"][0]["sites"][0]["frames"]) {
    found = found ||
            (frame.value("file", "").ends_with("flaky_timer_test.c") &&
             frame.value("line", 0) == culprit[0] && frame.value("function", "") == "NewWatchdog");
  }
  EXPECT_TRUE(found) << got["bisect"]["sets"][0].dump(2);
  // No run of native or all-new failed: the lost-run handling never turned
  // a lost job into a failure.
  EXPECT_EQ(got["rates"][0]["failures"].get<double>(), 0);
  EXPECT_EQ(got["rates"][2]["failures"].get<double>(), 0);
  EXPECT_EQ(testing::JobsLeftAfter(testing::DriverJobPrefix(slurm.pid), 30s), "");
}

// A job Slurm cancels mid-search (scancel from outside, as an operator or a
// preemption would) is a lost run: the driver says so, runs it again, and
// reaches the local answer.
TEST_F(SlurmE2E, AJobCancelledMidSearchIsRunAgainNotCounted) {
  ScratchDir dir("slurm");
  Exit local = RunCommand(
      dir, Driver({"-q", "-j", "2", "--json", dir.File("local.json"), "--", SLURM_E2E_MANY_SITES}),
      kPatience);
  ASSERT_EQ(local.code, 0) << local.err;
  // Each run sleeps first, so a job is sure to be running when it is cancelled.
  pid_t driver =
      Spawn(dir, Driver({"-j", "2", "--launcher", "slurm", "--json", dir.File("slurm.json"),
                         "--shell", "--", "sleep 0.8; exec", SLURM_E2E_MANY_SITES}));
  std::string prefix = testing::DriverJobPrefix(driver);
  std::string cancelled;
  auto give_up = std::chrono::steady_clock::now() + 60s;
  while (cancelled.empty() && std::chrono::steady_clock::now() < give_up) {
    std::string jobs = testing::JobsNamed(prefix);
    // The third job or later: the first is the shim check.
    for (std::size_t at = jobs.find(prefix); at != std::string::npos;
         at = jobs.find(prefix, at + 1)) {
      std::string name = jobs.substr(at, jobs.find(' ', at) - at);
      if (jobs.find("RUNNING", at) == jobs.find(' ', at) + 1 && !name.ends_with("-1")) {
        std::this_thread::sleep_for(100ms);
        ASSERT_EQ(testing::Capture("scancel --name=" + name, nullptr), 0);
        cancelled = name;
        break;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(cancelled.empty()) << "no job of the driver ever ran";
  int status = 0;
  waitpid(driver, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  std::string err = ReadFile(dir.File("spawn.err"));
  EXPECT_EQ(WEXITSTATUS(status), 0) << err;
  EXPECT_NE(err.find("timerbisect: lost run ("), std::string::npos) << err;
  EXPECT_NE(err.find("); running it again (attempt 2)"), std::string::npos) << err;
  EXPECT_EQ(SetIds(nlohmann::json::parse(ReadFile(dir.File("slurm.json")))),
            SetIds(nlohmann::json::parse(ReadFile(dir.File("local.json")))));
  EXPECT_EQ(testing::JobsLeftAfter(prefix, 30s), "");
}

// How many processes' command lines start with `text` (the driver's and
// srun's hold the target's path too, further on).
int ProcessesWith(const std::string& text) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string cmdline = ReadFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.starts_with(text)) ++count;
  }
  return count;
}

// The same, after waiting up to 10 s for them to go (a cancelled step's
// processes take a moment).
int ProcessesLeftWith(const std::string& text) {
  int count = ProcessesWith(text);
  for (int i = 0; i < 40 && count > 0; ++i) {
    std::this_thread::sleep_for(250ms);
    count = ProcessesWith(text);
  }
  return count;
}

// A driver stopped mid-search, with a probe running on the cluster: the
// job is cancelled and the probe's processes are gone.
void StopMidSearch(int signo) {
  ScratchDir dir("slurm");
  // The target hangs; its path is unique, so its processes can be found.
  std::string target = dir.File("hang.sh");
  {
    std::ofstream script(target);
    script << "#!/bin/sh\nsleep 600\n";
  }
  std::filesystem::permissions(target, std::filesystem::perms::owner_all);
  pid_t driver = Spawn(dir, Driver({"-q", "-j", "2", "--launcher", "slurm", "--timeout", "300s",
                                    "--", "/bin/sh", target}));
  std::string prefix = testing::DriverJobPrefix(driver);
  // The target's process runs on the node (this machine) inside a job.
  auto give_up = std::chrono::steady_clock::now() + 60s;
  const std::string running_target = "/bin/sh " + target;
  while (ProcessesWith(running_target) == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_GT(ProcessesWith(running_target), 0) << "the target never ran";
  ASSERT_NE(testing::JobsNamed(prefix).find("RUNNING"), std::string::npos)
      << "the target runs, but not in a job of the driver";
  ASSERT_EQ(kill(driver, signo), 0);
  int status = 0;
  waitpid(driver, &status, 0);
  if (signo == SIGINT) {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130);
  }
  EXPECT_EQ(testing::JobsLeftAfter(prefix, 30s), "");
  EXPECT_EQ(ProcessesLeftWith(running_target), 0) << "processes of the target still run";
}

TEST_F(SlurmE2E, SigkilledDriverLeavesNoJob) {
  StopMidSearch(SIGKILL);
}

TEST_F(SlurmE2E, CtrlCLeavesNoJob) {
  StopMidSearch(SIGINT);
}

TEST(PrefixLauncherE2E, BisectsManySitesThroughEnvToTheLocalAnswer) {
  ScratchDir dir("prefix");
  Exit local = RunCommand(
      dir, Driver({"-q", "-j", "2", "--json", dir.File("local.json"), "--", SLURM_E2E_MANY_SITES}),
      kPatience);
  ASSERT_EQ(local.code, 0) << local.err;
  Exit prefixed = RunCommand(dir,
                             Driver({"-q", "-j", "2", "--launcher", "env", "--json",
                                     dir.File("env.json"), "--", SLURM_E2E_MANY_SITES}),
                             kPatience);
  ASSERT_EQ(prefixed.code, 0) << prefixed.err;
  auto answer = nlohmann::json::parse(ReadFile(dir.File("env.json")));
  EXPECT_EQ(SetIds(answer), SetIds(nlohmann::json::parse(ReadFile(dir.File("local.json")))));
  // The reproduce line puts the prefix first and the variables behind env,
  // and, pasted into a shell, it fails as the set's probes did (exit 1).
  ASSERT_EQ(answer["sets"].size(), 1u);
  const std::string line = answer["sets"][0]["reproduce"].get<std::string>();
  EXPECT_EQ(line.rfind("env env TIMERSEM=", 0), 0u) << line;
  std::string output;
  EXPECT_EQ(testing::Capture(line, &output), 1) << line << "\n" << output;
  EXPECT_NE(output.find("the job runner failed"), std::string::npos) << output;
  // It fails natively too, so show that the variables reach the program:
  // with the set old and the rest new, the line passes.
  std::string flipped = line;
  flipped.replace(flipped.find("TIMERSEM=new#"), 13, "TIMERSEM=old#");
  EXPECT_EQ(testing::Capture(flipped, &output), 0) << flipped << "\n" << output;
}

// The prefix runs the probe in a mount namespace where the shim's
// directory is an empty tmpfs: the shim exists here, not where probes run.
TEST(PrefixLauncherE2E, AShimMissingWhereProbesRunIsOneLineAndExit2) {
  if (testing::Capture("unshare -m true", nullptr) != 0) {
    GTEST_SKIP() << "unshare -m does not work here (needs root or CAP_SYS_ADMIN)";
  }
  ScratchDir dir("prefix");
  std::string hide = dir.File("hide-shim.sh");
  std::string shim_dir = std::filesystem::path(SLURM_E2E_SHIM).parent_path().string();
  {
    std::ofstream script(hide);
    script << "#!/bin/sh\nexec unshare -m sh -c 'mount -t tmpfs none \"$0\" && exec \"$@\"' "
           << shim_dir << " \"$@\"\n";
  }
  std::filesystem::permissions(hide, std::filesystem::perms::owner_all);
  Exit got = RunCommand(
      dir, Driver({"--launcher", hide, "--shim", SLURM_E2E_SHIM, "--", SLURM_E2E_MANY_SITES}),
      kPatience);
  EXPECT_EQ(got.code, 2);
  EXPECT_EQ(got.err, std::string("timerbisect: the shim ") + SLURM_E2E_SHIM +
                         " does not exist on " + Hostname() + " (through '" + hide +
                         "'): put it on a filesystem the nodes share, or give --shim a path "
                         "that exists there\n");
}

TEST(PrefixLauncherE2E, APrefixThatRunsNothingIsOneLineAndExit2) {
  ScratchDir dir("prefix");
  Exit got =
      RunCommand(dir, Driver({"--launcher", "false", "--", SLURM_E2E_MANY_SITES}), kPatience);
  EXPECT_EQ(got.code, 2);
  EXPECT_EQ(got.err,
            "timerbisect: cannot run a probe through 'false' (exit 1): the prefix must run the "
            "command after its words (as srun, ssh HOST or env do), and perl where probes run\n");
  // A word of the prefix that is not a program: env says so, exit 127.
  got = RunCommand(
      dir, Driver({"--launcher", "env timerbisect-no-such-program", "--", SLURM_E2E_MANY_SITES}),
      kPatience);
  EXPECT_EQ(got.code, 2);
  EXPECT_NE(got.err.find("(exit 127: env: "), std::string::npos) << got.err;
  EXPECT_NE(got.err.find("): 127 is what a shell or env exits with when a program is not found: "
                         "a word of the prefix, or perl where probes run?\n"),
            std::string::npos)
      << got.err;
  EXPECT_EQ(std::count(got.err.begin(), got.err.end(), '\n'), 1) << got.err;
  // A prefix whose program does not exist is named as the prefix's.
  got = RunCommand(
      dir, Driver({"--launcher", "/nonexistent/prefix -x", "--", SLURM_E2E_MANY_SITES}), kPatience);
  EXPECT_EQ(got.code, 2);
  EXPECT_EQ(got.err,
            "timerbisect: --launcher '/nonexistent/prefix -x': command not found: "
            "/nonexistent/prefix (no such file)\n");
}

TEST(PrefixLauncherE2E, SlurmFlagsNeedTheSlurmLauncher) {
  ScratchDir dir("prefix");
  Exit got = RunCommand(dir, Driver({"--partition", "p", "--", SLURM_E2E_MANY_SITES}), kPatience);
  EXPECT_EQ(got.code, 2);
  EXPECT_EQ(got.err, "timerbisect: --partition and --time-limit need --launcher slurm\n");
}

}  // namespace
}  // namespace timerbisect
