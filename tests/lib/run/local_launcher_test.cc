// LocalLauncher against real processes: exit codes and signals, the process
// group and its timeout, output capture, the environment and report file,
// several probes at once, and probes that cannot start.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "process_support.h"
#include "run/local_launcher.h"
#include "run/probe.h"

namespace timerbisect::run {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// What run_spew writes.
std::string Spew(std::size_t begin, std::size_t end) {
  std::string bytes;
  for (std::size_t i = begin; i < end; ++i) {
    bytes += static_cast<char>(static_cast<unsigned char>(i * 131u + (i >> 8)));
  }
  return bytes;
}

TEST(Probe, ReportsExitCodes) {
  LocalLauncher launcher;
  ProbeOutput ok = RunProbe(launcher, Command({"/bin/true"}));
  EXPECT_TRUE(ok.started) << ok.error;
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.signal, 0);
  EXPECT_FALSE(ok.timed_out);
  EXPECT_GT(ok.duration.count(), 0);

  EXPECT_EQ(RunProbe(launcher, Command({"/bin/false"})).exit_code, 1);
  EXPECT_EQ(RunProbe(launcher, Command({RUN_CRASH, "exit", "7"})).exit_code, 7);
  EXPECT_EQ(RunProbe(launcher, Command({"false"})).exit_code, 1);  // found in PATH
}

TEST(Probe, ReportsTerminatingSignals) {
  LocalLauncher launcher;
  for (auto [how, signo] : {std::pair{"segv", SIGSEGV}, {"abort", SIGABRT}, {"kill", SIGKILL}}) {
    ProbeOutput out = RunProbe(launcher, Command({RUN_CRASH, how}));
    EXPECT_TRUE(out.started) << out.error;
    EXPECT_EQ(out.signal, signo) << how;
    EXPECT_EQ(out.exit_code, -1) << how;
    EXPECT_FALSE(out.timed_out);
  }
}

TEST(Probe, MergesStdoutAndStderrInOrder) {
  LocalLauncher launcher;
  ProbeOutput out = RunProbe(launcher, Shell("echo a; echo b >&2; echo c"));
  EXPECT_EQ(out.output, "a\nb\nc\n");
}

TEST(Probe, ShellJoinsArgvWithSpaces) {
  LocalLauncher launcher;
  ProbeSpec spec;
  spec.argv = {"echo", "a", "|", "tr", "a", "b"};
  spec.shell = true;
  EXPECT_EQ(RunProbe(launcher, spec).output, "b\n");
}

TEST(Probe, StdinIsDevNull) {
  LocalLauncher launcher;
  EXPECT_EQ(RunProbe(launcher, Command({"readlink", "/proc/self/fd/0"})).output, "/dev/null\n");
}

TEST(Probe, RunsInItsOwnProcessGroup) {
  LocalLauncher launcher;
  // Field 5 of /proc/PID/stat is the process group (proc(5)).
  ProbeOutput out =
      RunProbe(launcher, Shell("read -r pid comm state ppid pgid rest < /proc/$$/stat; "
                               "echo $pid $pgid"));
  pid_t pid = NumberAfter(out.output, "");
  EXPECT_GT(pid, 0);
  EXPECT_EQ(NumberAfter(out.output, " "), pid) << out.output;
  EXPECT_NE(pid, getpgrp());
}

TEST(Probe, TimeoutKillsTheWholeProcessGroup) {
  LocalLauncher launcher;
  ProbeSpec spec = Shell("echo group $$; sleep 1000 & sleep 1000 & wait");
  spec.timeout = 2s;
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_TRUE(out.timed_out);
  EXPECT_EQ(out.signal, SIGKILL);
  pid_t pgid = NumberAfter(out.output, "group ");
  ASSERT_GT(pgid, 0) << out.output;
  EXPECT_TRUE(WaitGroupGone(pgid));
}

// A runner that gives its test a session of its own (`setsid -w ./test`):
// the test is outside the probe's group, but still below its leader when
// the timeout comes, so it goes too instead of running on, one per probe.
TEST(Probe, TimeoutKillsWhatTheProbeStartedInASessionOfItsOwn) {
  LocalLauncher launcher;
  ProbeSpec spec = Shell("echo group $$; setsid -w sh -c 'echo escaped $$; exec sleep 1000'");
  spec.timeout = 2s;
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_TRUE(out.timed_out);
  pid_t pgid = NumberAfter(out.output, "group ");
  pid_t escaped = NumberAfter(out.output, "escaped ");
  ASSERT_GT(pgid, 0) << out.output;
  ASSERT_GT(escaped, 0) << out.output;
  EXPECT_NE(escaped, pgid);
  EXPECT_TRUE(WaitGroupGone(pgid));
  EXPECT_TRUE(WaitGroupGone(escaped)) << "the setsid child outlived the probe's timeout";
  kill(escaped, SIGKILL);  // if the line above failed
}

TEST(Probe, FinishingBeforeTheTimeoutIsNotATimeout) {
  LocalLauncher launcher;
  ProbeSpec spec = Command({"/bin/true"});
  spec.timeout = 60s;
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_FALSE(out.timed_out);
  EXPECT_EQ(out.exit_code, 0);
}

TEST(Probe, GrandchildHoldingThePipeDoesNotHangWait) {
  LocalLauncher launcher;
  // The shell exits at once; its background sleep keeps stdout open. The
  // launcher kills the rest of the group when the shell exits.
  ProbeOutput out = RunProbe(launcher, Shell("sleep 1000 & echo group $$"));
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_FALSE(out.timed_out);
  pid_t pgid = NumberAfter(out.output, "group ");
  ASSERT_GT(pgid, 0) << out.output;
  EXPECT_TRUE(WaitGroupGone(pgid));
}

TEST(Probe, ProcessEscapingTheGroupDoesNotHangWait) {
  LocalLauncher launcher(LocalLauncher::Options{.drain_timeout = 100ms});
  ProbeOutput out = RunProbe(launcher, Command({RUN_ESCAPE}));
  EXPECT_EQ(out.exit_code, 0);
  pid_t escaped = NumberAfter(out.output, "escaped ");
  ASSERT_GT(escaped, 0) << out.output;
  // Still alive (out of reach of the group kill); clean it up ourselves.
  EXPECT_EQ(kill(escaped, SIGKILL), 0);
  if (kSubreaper) {
    EXPECT_EQ(waitpid(escaped, nullptr, 0), escaped);
  }
}

TEST(Probe, CapturesBinaryOutputExactly) {
  LocalLauncher launcher;
  ProbeOutput out = RunProbe(launcher, Command({RUN_SPEW, "1024"}));
  EXPECT_EQ(out.output, Spew(0, 1024));
  EXPECT_NE(out.output.find('\0'), std::string::npos);
}

TEST(Probe, CapturesMegabytesUnderTheLimit) {
  LocalLauncher launcher;
  ProbeOutput out = RunProbe(launcher, Command({RUN_SPEW, "3000000"}));
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_TRUE(out.output == Spew(0, 3000000)) << "size " << out.output.size();
}

TEST(Probe, OutputLimitKeepsHeadAndTail) {
  LocalLauncher launcher;
  ProbeSpec spec = Command({RUN_SPEW, "5000000"});
  spec.output_limit = 1u << 20;
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_EQ(out.exit_code, 0);
  const std::size_t half = 1u << 19;
  ASSERT_GT(out.output.size(), 2 * half);
  EXPECT_TRUE(out.output.substr(0, half) == Spew(0, half));
  EXPECT_TRUE(out.output.substr(out.output.size() - half) == Spew(5000000 - half, 5000000));
  std::string middle = out.output.substr(half, out.output.size() - 2 * half);
  EXPECT_NE(middle.find("[timerbisect: 3951424 bytes of output omitted]\n"), std::string::npos)
      << middle;
}

TEST(Probe, EnvironmentOverridesReachTheChild) {
  LocalLauncher launcher;
  ASSERT_EQ(setenv("RUN_TEST_INHERITED", "inherited", 1), 0);
  ASSERT_EQ(setenv("RUN_TEST_REPLACED", "old", 1), 0);
  ProbeSpec spec = Shell("echo $RUN_TEST_INHERITED $RUN_TEST_REPLACED $RUN_TEST_ADDED");
  spec.env = {
      {"RUN_TEST_REPLACED", "new"}, {"RUN_TEST_ADDED", "first"}, {"RUN_TEST_ADDED", "last"}};
  EXPECT_EQ(RunProbe(launcher, spec).output, "inherited new last\n");
}

TEST(Probe, ChildPathOverrideFindsTheCommand) {
  TempDir dir;
  WriteFile(dir.path() / "run-test-tool", "#!/bin/sh\necho found\n", fs::perms::owner_all);
  LocalLauncher launcher;
  ProbeSpec spec = Command({"run-test-tool"});
  spec.env = {{"PATH", dir.path().string() + ":/usr/bin:/bin"}};
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_TRUE(out.started) << out.error;
  EXPECT_EQ(out.output, "found\n");
}

TEST(Probe, ReportFileLivesInAPrivateDirRemovedAfterWait) {
  TempDir scratch;
  LocalLauncher launcher;
  ProbeSpec spec = Shell("echo $TIMERSEM_REPORT; echo line >> $TIMERSEM_REPORT");
  spec.scratch_root = scratch.path();
  ProbeOutput out = RunProbe(launcher, spec);
  ASSERT_FALSE(out.output.empty());
  fs::path report = out.output.substr(0, out.output.size() - 1);
  EXPECT_EQ(report.filename(), "report");
  EXPECT_EQ(report.parent_path().parent_path(), scratch.path());
  EXPECT_EQ(out.report, "line\n");
  EXPECT_FALSE(fs::exists(report.parent_path()));
}

TEST(Probe, ExplicitTimersemReportWins) {
  LocalLauncher launcher;
  ProbeSpec spec = Shell("echo $TIMERSEM_REPORT");
  spec.env = {{"TIMERSEM_REPORT", "stderr"}};
  EXPECT_EQ(RunProbe(launcher, spec).output, "stderr\n");
}

TEST(Probe, CollectsReportLinesFromEveryProcess) {
  LocalLauncher launcher;
  ProbeOutput out = RunProbe(launcher, Command({RUN_FORKER}));
  EXPECT_EQ(out.exit_code, 0) << out.output;
  pid_t parent = NumberAfter(out.report, "parent ");
  pid_t child = NumberAfter(out.report, "child ");
  EXPECT_GT(parent, 0) << out.report;
  EXPECT_GT(child, 0) << out.report;
  EXPECT_NE(parent, child);
  EXPECT_EQ(std::count(out.report.begin(), out.report.end(), '\n'), 2);
}

TEST(Probe, SeveralProbesRunAtOnce) {
  // Each of the two waits for the other's file: run one after the other,
  // the first would time out.
  TempDir dir;
  std::string a = (dir.path() / "a").string(), b = (dir.path() / "b").string();
  LocalLauncher launcher;
  ProbeSpec first = Shell("touch " + a + "; while [ ! -e " + b + " ]; do sleep 0.01; done");
  ProbeSpec second = Shell("touch " + b + "; while [ ! -e " + a + " ]; do sleep 0.01; done");
  first.timeout = second.timeout = 60s;
  Launcher::Handle h1 = launcher.Start(first);
  Launcher::Handle h2 = launcher.Start(second);
  ProbeOutput out2 = launcher.Wait(h2);
  ProbeOutput out1 = launcher.Wait(h1);
  EXPECT_FALSE(out1.timed_out);
  EXPECT_FALSE(out2.timed_out);
  EXPECT_EQ(out1.exit_code, 0);
  EXPECT_EQ(out2.exit_code, 0);
}

TEST(Probe, ResultsMatchTheirHandlesInAnyOrder) {
  LocalLauncher launcher;
  std::vector<Launcher::Handle> handles;
  for (int i = 0; i < 8; ++i) {
    // Enough output that a probe nobody waits for yet would fill its pipe.
    ProbeSpec spec = Shell("head -c 200000 /dev/zero; echo probe $PROBE_INDEX");
    spec.env = {{"PROBE_INDEX", std::to_string(i)}};
    handles.push_back(launcher.Start(spec));
  }
  for (int i = 7; i >= 0; --i) {
    ProbeOutput out = launcher.Wait(handles[static_cast<std::size_t>(i)]);
    EXPECT_EQ(out.output.size(), 200000u + 8u);
    EXPECT_EQ(NumberAfter(out.output, "probe "), i);
  }
}

TEST(Probe, ProbesOnSeveralThreads) {
  LocalLauncher launcher;
  std::vector<std::thread> threads;
  std::vector<int> codes(4, -1);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      codes[static_cast<std::size_t>(i)] =
          RunProbe(launcher, Command({RUN_CRASH, "exit", std::to_string(i + 10)})).exit_code;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(codes, (std::vector<int>{10, 11, 12, 13}));
}

TEST(Probe, UnknownHandleIsAnError) {
  LocalLauncher launcher;
  ProbeOutput out = launcher.Wait(12345);
  EXPECT_FALSE(out.started);
  EXPECT_EQ(out.error.rfind("timerbisect: ", 0), 0u) << out.error;
}

TEST(Probe, DestroyingTheLauncherKillsRunningProbes) {
  TempDir dir;
  fs::path pidfile = dir.path() / "pid";
  pid_t pgid = -1;
  {
    LocalLauncher launcher;
    launcher.Start(Shell("echo $$ > " + pidfile.string() + "; exec sleep 1000"));
    pgid = NumberAfter(WaitForLine(pidfile), "");
    ASSERT_GT(pgid, 0);
  }
  EXPECT_TRUE(WaitGroupGone(pgid));
}

TEST(Probe, MissingCommandDoesNotStart) {
  LocalLauncher launcher;
  ProbeOutput out = RunProbe(launcher, Command({"timerbisect-no-such-command"}));
  EXPECT_FALSE(out.started);
  EXPECT_EQ(out.error, "timerbisect: command not found: timerbisect-no-such-command (not in PATH)");
  EXPECT_FALSE(RunProbe(launcher, Command({})).started);
}

TEST(Probe, UnwritableScratchRootDoesNotStart) {
  LocalLauncher launcher;
  ProbeSpec spec = Command({"/bin/true"});
  spec.scratch_root = "/nonexistent/timerbisect";
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_FALSE(out.started);
  EXPECT_EQ(out.error.rfind("timerbisect: cannot create a probe directory in /nonexistent", 0), 0u)
      << out.error;
}

}  // namespace
}  // namespace timerbisect::run
