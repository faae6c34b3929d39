// SlurmLauncher against a real single-node Slurm (scripts/slurm_local.sh):
// exit codes and signals as locally, the environment carried in the
// command, reports collected on the node without a shared directory,
// --timeout cancelling the job, a job Slurm cancels coming back lost, and
// no job left behind. Skipped, with the script's reason, where Slurm cannot
// run (not root, no apt-get).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "run/probe.h"
#include "run/slurm_launcher.h"
#include "slurm_cluster.h"

namespace timerbisect::run {
namespace {

using namespace std::chrono_literals;
using testing::JobsLeftAfter;
using testing::JobsNamed;

class SlurmLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason = testing::StartSlurm(SLURM_LOCAL_SCRIPT, SLURM_STARTED_MARK);
    if (!reason.empty()) GTEST_SKIP() << reason;
  }
};

ProbeSpec Shell(const std::string& script,
                std::vector<std::pair<std::string, std::string>> env = {}) {
  ProbeSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = std::move(env);
  spec.timeout = 60s;
  return spec;
}

std::string ShortHostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string name = host;
  return name.substr(0, name.find('.'));
}

TEST_F(SlurmLauncherTest, ExitCodesAndSignalsComeBackAsLocally) {
  SlurmLauncher launcher({});
  Launcher::Handle exit3 = launcher.Start(Shell("echo out; exit 3"));
  Launcher::Handle segv = launcher.Start(Shell("kill -SEGV $$"));
  ProbeOutput a = launcher.Wait(exit3);
  ProbeOutput b = launcher.Wait(segv);
  ProbeOutput c = RunProbe(launcher, Shell("exit 137"));
  EXPECT_EQ(a.exit_code, 3);
  EXPECT_EQ(a.signal, 0);
  EXPECT_EQ(a.output, "out\n");
  EXPECT_EQ(a.where, ShortHostname());
  EXPECT_EQ(b.signal, SIGSEGV);
  EXPECT_EQ(b.output, "");
  EXPECT_EQ(c.exit_code, 137);
  EXPECT_EQ(c.signal, 0);
  EXPECT_FALSE(a.lost || b.lost || c.lost);
}

TEST_F(SlurmLauncherTest, EnvironmentAndReportsTravelWithoutASharedDirectory) {
  SlurmLauncher launcher({});
  // The report file is the node's, given by the wrapper; a child whose
  // stderr is closed still reports (ctest's tests write to pipes of ctest).
  ProbeOutput out =
      RunProbe(launcher,
               Shell("echo \"$FOO\"; case \"$TIMERSEM_REPORT\" in /*) ;; *) exit 9;; esac; "
                     "sh -c 'echo \"[bisect-match 0x0000000000000042] s\" >> \"$TIMERSEM_REPORT\"' "
                     "2>&-",
                     {{"FOO", "a,b c"}}));
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_EQ(out.output, "a,b c\n");
  EXPECT_EQ(out.report, "[bisect-match 0x0000000000000042] s\n");
}

TEST_F(SlurmLauncherTest, TimeoutCountsFromTheJobsStartAndCancelsIt) {
  SlurmLauncher launcher({});
  ProbeSpec spec = Shell("sleep 120");
  spec.timeout = 1500ms;
  auto started = std::chrono::steady_clock::now();
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_TRUE(out.timed_out);
  EXPECT_FALSE(out.lost) << out.lost_reason;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_EQ(JobsLeftAfter(launcher.job_prefix(), 30s), "");
}

TEST_F(SlurmLauncherTest, AJobSlurmCancelsIsLostNotAFailure) {
  SlurmLauncher launcher({});
  Launcher::Handle handle = launcher.Start(Shell("sleep 120"));
  auto give_up = std::chrono::steady_clock::now() + 30s;
  while (JobsNamed(launcher.job_prefix()).find("RUNNING") == std::string::npos &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(500ms);  // let the wrapper say where it runs
  ASSERT_EQ(testing::Capture("scancel --name=" + launcher.job_prefix() + "1", nullptr), 0);
  ProbeOutput out = launcher.Wait(handle);
  EXPECT_TRUE(out.lost) << out.exit_code << " " << out.signal << " [" << out.output << "] "
                        << out.report;
  EXPECT_NE(out.lost_reason.find("CANCELLED"), std::string::npos) << out.lost_reason;
  EXPECT_FALSE(out.timed_out);
}

TEST_F(SlurmLauncherTest, ALauncherDestroyedMidProbeLeavesNoJob) {
  std::string prefix;
  {
    SlurmLauncher launcher({});
    prefix = launcher.job_prefix();
    launcher.Start(Shell("sleep 120"));
    launcher.Start(Shell("sleep 120"));
    std::this_thread::sleep_for(1s);
  }
  EXPECT_EQ(JobsLeftAfter(prefix, 30s), "");
}

TEST_F(SlurmLauncherTest, ABadPartitionIsALostRunWithSrunsReason) {
  SlurmLauncher::Options options;
  options.partition = "no_such_partition";
  SlurmLauncher launcher(options);
  ProbeOutput out = RunProbe(launcher, Shell("true"));
  EXPECT_TRUE(out.lost);
  EXPECT_NE(out.lost_reason.find("partition"), std::string::npos) << out.lost_reason;
}

}  // namespace
}  // namespace timerbisect::run
