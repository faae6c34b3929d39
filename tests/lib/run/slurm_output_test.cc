// A finished srun's output read into where it ran, lost runs, signals and
// time limits, from samples of what a real srun printed.
#include <gtest/gtest.h>

#include <signal.h>

#include <string>
#include <utility>

#include "run/failure.h"
#include "run/probe.h"
#include "run/slurm_output.h"

namespace timerbisect::run {
namespace {

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
  FailureClassifier classifier = *FailureClassifier::Make({});
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
  FailureClassifier classifier = *FailureClassifier::Make({});
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

}  // namespace
}  // namespace timerbisect::run
