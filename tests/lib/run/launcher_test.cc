// Remote launchers without a cluster: the command a probe becomes, the
// reading of srun's output (lost runs, signals, time limits) from samples
// of real srun output, lost runs re-run by LostRetryLauncher, and the
// prefix launcher with real processes (`env` as the prefix, and a wrapper
// script that records what it was given).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver_harness.h"
#include "run/failure.h"
#include "run/lost_retry.h"
#include "run/prefix_launcher.h"
#include "run/remote_command.h"
#include "run/slurm_output.h"

namespace timerbisect::run {
namespace {

using testing::ReadFile;
using testing::ScratchDir;

ProbeSpec Spec(std::vector<std::string> argv,
               std::vector<std::pair<std::string, std::string>> env = {}) {
  ProbeSpec spec;
  spec.argv = std::move(argv);
  spec.env = std::move(env);
  return spec;
}

// The command after the wrapper (perl -e WRAPPER).
std::vector<std::string> AfterWrapper(std::vector<std::string> argv) {
  EXPECT_EQ(argv.at(0), "perl");
  EXPECT_EQ(argv.at(1), "-e");
  return std::vector<std::string>(argv.begin() + 3, argv.end());
}

TEST(RemoteCommand, CarriesTheEnvironmentExplicitlyLastValueWins) {
  ProbeSpec spec = Spec({"./t", "a b"}, {{"LD_PRELOAD", "/s.so"},
                                         {"TIMERSEM", "new#y"},
                                         {"TIMERSEM_ASPECTS", "stale,latency"},
                                         {"TIMERSEM", "old"}});
  EXPECT_EQ(AfterWrapper(RemoteCommand(spec)),
            (std::vector<std::string>{"env", "LD_PRELOAD=/s.so", "TIMERSEM=old",
                                      "TIMERSEM_ASPECTS=stale,latency", "./t", "a b"}));
}

TEST(RemoteCommand, ShellModeRunsTheJoinedWordsThroughSh) {
  ProbeSpec spec = Spec({"true", "&&", "./t"}, {{"A", "1"}});
  spec.shell = true;
  EXPECT_EQ(AfterWrapper(RemoteCommand(spec)),
            (std::vector<std::string>{"env", "A=1", "/bin/sh", "-c", "true && ./t"}));
}

TEST(RemoteCommand, SeparateWrapperLinesKeepsTheTargetsOutputOnly) {
  ProbeOutput out;
  out.output =
      "timerbisect-node: n3\nhello\n[bisect-match 0x1] timerbisect site poll "
      "mode=new\ntimerbisect: shim active pid=1 "
      "TIMERSEM=new#y\ntimerbisect-report: [bisect-match 0x2] x\nbye";
  SeparateWrapperLines(out);
  EXPECT_EQ(out.where, "n3");
  EXPECT_EQ(out.output, "hello\nbye");
  EXPECT_EQ(out.report,
            "[bisect-match 0x1] timerbisect site poll mode=new\ntimerbisect: shim active pid=1 "
            "TIMERSEM=new#y\n[bisect-match 0x2] x\n");
}

// What srun printed in these cases on Slurm 22.05 (scripts/slurm_local.sh).
ProbeOutput Srun(int exit_code, std::string output) {
  ProbeOutput out;
  out.started = true;
  out.exit_code = exit_code;
  out.output = std::move(output);
  return out;
}

TEST(SrunOutput, SignalComesBackAsTheSignal) {
  ProbeOutput out = Srun(139,
                         "timerbisect-node: n1\nsome output\n"
                         "srun: error: n1: task 0: Segmentation fault\n");
  InterpretSrunOutput(out);
  EXPECT_FALSE(out.lost);
  EXPECT_EQ(out.signal, SIGSEGV);
  EXPECT_EQ(out.where, "n1");
  EXPECT_EQ(out.output, "some output\n");
}

TEST(SrunOutput, Exit137IsAnExitCodeNotSigkill) {
  ProbeOutput out =
      Srun(137, "timerbisect-node: n1\nsrun: error: n1: task 0: Exited with exit code 137\n");
  InterpretSrunOutput(out);
  EXPECT_EQ(out.signal, 0);
  EXPECT_EQ(out.exit_code, 137);
  EXPECT_FALSE(out.lost);
}

TEST(SrunOutput, ReportLinesOfTheWrapperGoToTheReport) {
  ProbeOutput out = Srun(0, "timerbisect-node: n2\ntimerbisect-report: [bisect-match 0x5] a\n");
  InterpretSrunOutput(out);
  EXPECT_EQ(out.report, "[bisect-match 0x5] a\n");
  EXPECT_EQ(out.output, "");
  EXPECT_EQ(out.exit_code, 0);
}

TEST(SrunOutput, AJobThatNeverStartedIsLostWithSrunsReason) {
  ProbeOutput out = Srun(1,
                         "srun: error: Unable to allocate resources: Invalid partition name "
                         "specified\n");
  InterpretSrunOutput(out);
  EXPECT_TRUE(out.lost);
  EXPECT_EQ(out.lost_reason,
            "srun: error: Unable to allocate resources: Invalid partition name specified");
  FailureClassifier classifier = *FailureClassifier::Make({}, nullptr);
  EXPECT_EQ(classifier.Classify(out).kind, "lost");
  EXPECT_FALSE(classifier.Classify(out).failed);
}

TEST(SrunOutput, ACancelledOrFailedNodeIsLostEvenAfterItStarted) {
  for (const char* line :
       {"slurmstepd-n1: error: *** STEP 12.0 ON n1 CANCELLED AT 2026-12-04T06:43:07 ***",
        "srun: error: Node failure on n1", "srun: error: Job allocation 12 has been revoked"}) {
    ProbeOutput out = Srun(143, std::string("timerbisect-node: n1\n") + line + "\n");
    InterpretSrunOutput(out);
    EXPECT_TRUE(out.lost) << line;
    EXPECT_EQ(out.where, "n1");
  }
}

TEST(SrunOutput, TheTimeLimitIsATimeout) {
  ProbeOutput out = Srun(143,
                         "timerbisect-node: n1\nslurmstepd: error: *** STEP 9.0 ON n1 CANCELLED AT "
                         "x DUE TO TIME LIMIT ***\n");
  InterpretSrunOutput(out);
  EXPECT_FALSE(out.lost);
  EXPECT_TRUE(out.timed_out);
}

// The lines and exit codes a real srun gave (Slurm 22.05.8, the single-node
// Slurm of scripts/slurm_local.sh): a step past --time=1, and a step whose
// node was set down mid-run (`scontrol update nodename=vm state=down`).
// srun exits 0 after a node failure: only its lines tell it from a pass.
TEST(SrunOutput, WhatARealSrunPrints_NodeFailureExitsZeroAndIsLost) {
  ProbeOutput failed_node = Srun(0,
                                 "timerbisect-node: vm\n"
                                 "srun: error: Node failure on vm\n"
                                 "slurmstepd-vm: error: *** STEP 1736.0 ON vm CANCELLED AT "
                                 "2026-12-04T08:36:17 DUE TO NODE FAILURE, SEE SLURMCTLD LOG FOR "
                                 "DETAILS ***\n"
                                 "srun: error: Node failure on vm\n");
  InterpretSrunOutput(failed_node);
  EXPECT_TRUE(failed_node.lost);
  EXPECT_EQ(failed_node.lost_reason, "srun: error: Node failure on vm");
  FailureClassifier classifier = *FailureClassifier::Make({}, nullptr);
  EXPECT_EQ(classifier.Classify(failed_node).kind, "lost");

  ProbeOutput time_limit = Srun(143,
                                "timerbisect-node: vm\n"
                                "slurmstepd-vm: error: *** STEP 1735.0 ON vm CANCELLED AT "
                                "2026-12-04T08:36:11 DUE TO TIME LIMIT ***\n"
                                "srun: error: vm: task 0: Terminated\n");
  InterpretSrunOutput(time_limit);
  EXPECT_FALSE(time_limit.lost);
  EXPECT_TRUE(time_limit.timed_out);
  EXPECT_EQ(classifier.Classify(time_limit).kind, "timeout");
}

TEST(SrunOutput, OurTimeoutBeforeTheJobRanIsLostNotATimeout) {
  ProbeOutput out = Srun(-1, "");
  out.timed_out = true;
  InterpretSrunOutput(out);
  EXPECT_TRUE(out.lost);
  ProbeOutput ran = Srun(-1, "timerbisect-node: n1\n");
  ran.timed_out = true;
  InterpretSrunOutput(ran);
  EXPECT_FALSE(ran.lost);
  EXPECT_TRUE(ran.timed_out);
}

// A launcher that returns scripted results, and counts its starts.
class ScriptedLauncher final : public Launcher {
 public:
  explicit ScriptedLauncher(std::deque<ProbeOutput> results) : results_(std::move(results)) {}
  Handle Start(const ProbeSpec& spec) override {
    started.push_back(spec.argv);
    return ++next_;
  }
  ProbeOutput Wait(Handle) override {
    ProbeOutput out = results_.front();
    results_.pop_front();
    return out;
  }
  std::vector<std::vector<std::string>> started;

 private:
  std::deque<ProbeOutput> results_;
  Handle next_ = 0;
};

ProbeOutput Lost(const std::string& reason) {
  ProbeOutput out;
  out.started = true;
  out.lost = true;
  out.lost_reason = reason;
  return out;
}

TEST(LostRetry, LostRunsAreRunAgainAndNeverReachTheCaller) {
  ProbeOutput failed;
  failed.started = true;
  failed.exit_code = 1;
  auto scripted = std::make_unique<ScriptedLauncher>(
      std::deque<ProbeOutput>{Lost("node failure"), Lost("cancelled"), failed});
  ScriptedLauncher* inner = scripted.get();
  std::vector<std::string> seen;
  LostRetryLauncher launcher(std::move(scripted), 5, [&](int attempt, const std::string& reason) {
    seen.push_back(std::to_string(attempt) + " " + reason);
  });
  ProbeOutput out = RunProbe(launcher, Spec({"./t"}));
  EXPECT_FALSE(out.lost);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(inner->started.size(), 3u);
  EXPECT_EQ(seen, (std::vector<std::string>{"1 node failure", "2 cancelled"}));
  EXPECT_EQ(launcher.lost_runs(), 2);
}

TEST(LostRetry, AProbeLostEveryTimeIsASetupErrorInOneLine) {
  auto scripted = std::make_unique<ScriptedLauncher>(
      std::deque<ProbeOutput>{Lost("a"), Lost("b"), Lost("srun: error: Invalid partition")});
  LostRetryLauncher launcher(std::move(scripted), 3);
  ProbeOutput out = RunProbe(launcher, Spec({"./t"}));
  EXPECT_FALSE(out.started);
  EXPECT_FALSE(out.lost);
  EXPECT_EQ(out.error,
            "timerbisect: a probe was lost 3 times in a row, last: srun: error: Invalid "
            "partition; is the cluster usable?");
}

std::string Hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

TEST(PrefixLauncher, EnvAsThePrefixGivesExitCodesSignalsEnvironmentAndReports) {
  PrefixLauncher launcher({"env"});
  ProbeOutput exited = RunProbe(launcher, Spec({"/bin/sh", "-c", "exit 3"}));
  EXPECT_EQ(exited.exit_code, 3);
  EXPECT_EQ(exited.where, Hostname());
  ProbeOutput killed = RunProbe(launcher, Spec({"/bin/sh", "-c", "kill -SEGV $$"}));
  EXPECT_EQ(killed.signal, SIGSEGV);
  EXPECT_EQ(killed.exit_code, -1);
  ProbeOutput code137 = RunProbe(launcher, Spec({"/bin/sh", "-c", "exit 137"}));
  EXPECT_EQ(code137.exit_code, 137);
  EXPECT_EQ(code137.signal, 0);
  // The report file is the wrapper's; a process with its stderr closed
  // still reports into it.
  ProbeOutput env = RunProbe(
      launcher, Spec({"/bin/sh", "-c",
                      "echo \"$FOO\"; sh -c 'echo \"[bisect-match 0x0000000000000007] s\" >> "
                      "\"$TIMERSEM_REPORT\"' 2>&-"},
                     {{"FOO", "a,b c"}}));
  EXPECT_EQ(env.exit_code, 0);
  EXPECT_EQ(env.output, "a,b c\n");
  EXPECT_EQ(env.report, "[bisect-match 0x0000000000000007] s\n");
}

TEST(PrefixLauncher, ThePrefixGetsItsWordsThenTheWrapperThenEnvThenTheCommand) {
  ScratchDir dir("prefix");
  std::string wrapper = dir.File("wrapper.sh"), log = dir.File("args");
  {
    std::ofstream out(wrapper);
    out << "#!/bin/sh\nfor a; do case $a in use*) echo WRAPPER;; *) echo \"$a\";; esac; done > "
        << log << "\nshift\nexec \"$@\"\n";
  }
  chmod(wrapper.c_str(), 0755);
  PrefixLauncher launcher({wrapper, "--host=n7"});
  ProbeOutput out = RunProbe(launcher, Spec({"/bin/echo", "hi"}, {{"A", "1"}}));
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.output, "hi\n");
  EXPECT_EQ(ReadFile(log), "--host=n7\nperl\n-e\nWRAPPER\nenv\nA=1\n/bin/echo\nhi\n");
}

TEST(PrefixLauncher, TimeoutKillsThePrefixProcess) {
  PrefixLauncher launcher({"env"});
  ProbeSpec spec = Spec({"/bin/sleep", "30"});
  spec.timeout = std::chrono::milliseconds(200);
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_TRUE(out.timed_out);
  EXPECT_LT(out.duration, std::chrono::seconds(10));
}

}  // namespace
}  // namespace timerbisect::run
