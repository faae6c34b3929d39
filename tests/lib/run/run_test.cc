// lib/run against real processes: /bin/sh, /bin/true, /bin/false and the
// helpers in tests/progs/run_*.c (paths come in as RUN_<NAME> definitions).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/capability.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "run/failure.h"
#include "run/interrupt.h"
#include "run/local_launcher.h"
#include "run/output_buffer.h"
#include "run/preflight.h"
#include "run/probe.h"
#include "run/spawn.h"

namespace timerbisect::run {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Probes' grandchildren, killed with their group, are orphans: make them ours
// rather than init's, so WaitGroupGone can reap them instead of waiting for
// init (which may reap slowly, or never in a container).
const bool kSubreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

// A generous bound for things that must happen, so a broken build fails
// instead of hanging; never a performance threshold.
constexpr auto kPatience = 30s;

ProbeSpec Command(std::vector<std::string> argv) {
  ProbeSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

ProbeSpec Shell(std::string script) {
  ProbeSpec spec;
  spec.argv = {std::move(script)};
  spec.shell = true;
  return spec;
}

class TempDir {
 public:
  TempDir() {
    std::string name = (fs::temp_directory_path() / "run_test-XXXXXX").string();
    if (mkdtemp(name.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    path_ = name;
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& path, const std::string& contents, fs::perms perms) {
  std::ofstream(path) << contents;
  fs::permissions(path, perms);
}

// True once no process of group `pgid` is left, zombies included.
bool WaitGroupGone(pid_t pgid) {
  auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < give_up) {
    while (waitpid(-pgid, nullptr, WNOHANG) > 0) {
    }
    if (kill(-pgid, 0) == -1 && errno == ESRCH) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// The first integer in `text` after `word`, or -1.
pid_t NumberAfter(const std::string& text, const std::string& word) {
  std::size_t at = text.find(word);
  if (at == std::string::npos) return -1;
  return static_cast<pid_t>(std::atoi(text.c_str() + at + word.size()));
}

// The contents of `path` once it holds a complete line, or "" after kPatience.
std::string WaitForLine(const fs::path& path) {
  auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < give_up) {
    std::ifstream in(path);
    std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!contents.empty() && contents.back() == '\n') return contents;
    std::this_thread::sleep_for(10ms);
  }
  return "";
}

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

TEST(OutputBuffer, KeepsEverythingThatFits) {
  OutputBuffer buffer(10);
  buffer.Append("0123");
  buffer.Append("456789");
  EXPECT_EQ(buffer.Take(), "0123456789");
}

TEST(OutputBuffer, MarkerSitsOnItsOwnLine) {
  OutputBuffer buffer(4);
  for (char c : std::string("abcdefgh")) buffer.Append(std::string(1, c));
  EXPECT_EQ(buffer.total_bytes(), 8u);
  EXPECT_EQ(buffer.Take(), "ab\n[timerbisect: 4 bytes of output omitted]\ngh");
}

TEST(OutputBuffer, ZeroLimitKeepsOnlyTheMarker) {
  OutputBuffer buffer(0);
  buffer.Append("abc");
  EXPECT_EQ(buffer.Take(), "[timerbisect: 3 bytes of output omitted]\n");
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

TEST(BuildEnvironment, OverridesThenReportPath) {
  const char* base[] = {"A=1", "B=2", "TIMERSEM_REPORT=/driver/own", nullptr};
  EXPECT_EQ(BuildEnvironment(base, {{"B", "x"}, {"C", "3"}, {"B", "y"}}, "/p/report"),
            (std::vector<std::string>{"A=1", "C=3", "B=y", "TIMERSEM_REPORT=/p/report"}));
  EXPECT_EQ(BuildEnvironment(base, {{"TIMERSEM_REPORT", "stderr"}}, "/p/report"),
            (std::vector<std::string>{"A=1", "B=2", "TIMERSEM_REPORT=stderr"}));
}

TEST(ResolveCommand, SearchesPath) {
  std::string resolved;
  EXPECT_EQ(ResolveCommand("sh", &resolved), "");
  EXPECT_EQ(fs::path(resolved).filename(), "sh");
  EXPECT_EQ(access(resolved.c_str(), X_OK), 0);
  EXPECT_EQ(ResolveCommand("foo-not-here", &resolved, "/nonexistent:/usr/bin"),
            "timerbisect: command not found: foo-not-here (not in PATH)");
}

TEST(ResolveCommand, PathsWithASlashAreTakenAsGiven) {
  std::string resolved;
  EXPECT_EQ(ResolveCommand("/bin/true", &resolved), "");
  EXPECT_EQ(resolved, "/bin/true");
  EXPECT_EQ(ResolveCommand("/nonexistent/foo", &resolved),
            "timerbisect: command not found: /nonexistent/foo (no such file)");
  EXPECT_EQ(ResolveCommand("/tmp", &resolved), "timerbisect: cannot run /tmp: Is a directory");
}

TEST(ResolveCommand, NamesAFileThatIsNotExecutable) {
  TempDir dir;
  WriteFile(dir.path() / "tool", "#!/bin/sh\n", fs::perms::owner_read | fs::perms::owner_write);
  std::string resolved;
  std::string error = ResolveCommand("tool", &resolved, dir.path().c_str());
  EXPECT_EQ(error, "timerbisect: cannot run " + (dir.path() / "tool").string() +
                       ": not executable (chmod +x it?)");
}

TEST(CheckPreloadable, DynamicExecutableIsFine) {
  EXPECT_EQ(CheckPreloadable("/bin/true"), "");
  EXPECT_EQ(CheckPreloadable(RUN_CRASH), "");
}

TEST(CheckPreloadable, StaticExecutables) {
  EXPECT_EQ(CheckPreloadable(RUN_STATIC),
            std::string("timerbisect: ") + RUN_STATIC +
                " is statically linked: no dynamic loader runs in it to load LD_PRELOAD; rebuild "
                "it dynamically linked");
  EXPECT_NE(CheckPreloadable(RUN_STATIC_PIE).find(" is static-pie: "), std::string::npos);
}

TEST(CheckPreloadable, SetuidAndSetgid) {
  TempDir dir;
  fs::path copy = dir.path() / "true";
  fs::copy_file("/bin/true", copy);
  ASSERT_EQ(chmod(copy.c_str(), 04755), 0);
  EXPECT_NE(CheckPreloadable(copy).find(copy.string() + " is setuid: "), std::string::npos);
  ASSERT_EQ(chmod(copy.c_str(), 02755), 0);
  EXPECT_NE(CheckPreloadable(copy).find(copy.string() + " is setgid: "), std::string::npos);
  ASSERT_EQ(chmod(copy.c_str(), 0755), 0);
  EXPECT_EQ(CheckPreloadable(copy), "");
}

TEST(CheckPreloadable, FileCapabilities) {
  TempDir dir;
  fs::path copy = dir.path() / "true";
  fs::copy_file("/bin/true", copy);
  vfs_cap_data caps{};
  caps.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
  caps.data[0].permitted = 1u << CAP_NET_RAW;
  if (setxattr(copy.c_str(), "security.capability", &caps, XATTR_CAPS_SZ_2, 0) != 0) {
    GTEST_SKIP() << "cannot set file capabilities here: " << std::strerror(errno);
  }
  EXPECT_NE(CheckPreloadable(copy).find("has file capabilities"), std::string::npos);
}

TEST(CheckPreloadable, ScriptsAreJudgedByTheirInterpreter) {
  TempDir dir;
  WriteFile(dir.path() / "ok", "#!/bin/sh -e\necho hi\n", fs::perms::owner_all);
  EXPECT_EQ(CheckPreloadable(dir.path() / "ok"), "");
  WriteFile(dir.path() / "env", "#!/usr/bin/env sh\necho hi\n", fs::perms::owner_all);
  EXPECT_EQ(CheckPreloadable(dir.path() / "env"), "");

  fs::path bad = dir.path() / "bad";
  WriteFile(bad, std::string("#!") + RUN_STATIC + "\n", fs::perms::owner_all);
  EXPECT_EQ(CheckPreloadable(bad), "timerbisect: script " + bad.string() + " runs " + RUN_STATIC +
                                       " is statically linked: no dynamic loader runs in it to "
                                       "load LD_PRELOAD; rebuild it dynamically linked");
  fs::path bad_env = dir.path() / "bad_env";
  WriteFile(bad_env, std::string("#!/usr/bin/env -S ") + RUN_STATIC + " --flag\n",
            fs::perms::owner_all);
  EXPECT_NE(CheckPreloadable(bad_env).find("statically linked"), std::string::npos);
}

TEST(CheckPreloadable, GoBinariesPointToGodebug) {
  for (const char* path : {RUN_FAKE_GO_SECTION, RUN_FAKE_GO_NOTE}) {
    std::string error = CheckPreloadable(path);
    EXPECT_NE(error.find(" is a Go program: "), std::string::npos) << path << ": " << error;
    EXPECT_NE(error.find("--godebug"), std::string::npos) << error;
  }
}

TEST(CheckPreloadable, MissingFile) {
  EXPECT_EQ(CheckPreloadable("/nonexistent/foo"),
            "timerbisect: cannot inspect /nonexistent/foo: No such file or directory");
}

TEST(CheckPreloadable, NonElfFilesAreLeftToExec) {
  TempDir dir;
  WriteFile(dir.path() / "data",
            std::string("\x7f"
                        "ELX and some bytes"),
            fs::perms::owner_all);
  EXPECT_EQ(CheckPreloadable(dir.path() / "data"), "");
  WriteFile(dir.path() / "truncated",
            std::string("\x7f"
                        "ELF\x02\x01"),
            fs::perms::owner_all);
  EXPECT_EQ(CheckPreloadable(dir.path() / "truncated"), "");
}

ProbeOutput Exited(int code, std::string output = "") {
  ProbeOutput out;
  out.started = true;
  out.exit_code = code;
  out.output = std::move(output);
  return out;
}

ProbeOutput Killed(int signo) {
  ProbeOutput out;
  out.started = true;
  out.signal = signo;
  return out;
}

ProbeOutput TimedOut() {
  ProbeOutput out = Killed(SIGKILL);
  out.timed_out = true;
  return out;
}

FailureClassifier Classifier(FailureRule rule) {
  std::string error;
  std::optional<FailureClassifier> c = FailureClassifier::Make(rule, &error);
  EXPECT_TRUE(c) << error;
  return *c;
}

void ExpectVerdict(const Verdict& v, bool failed, const std::string& kind) {
  EXPECT_EQ(v.failed, failed) << v.kind;
  EXPECT_EQ(v.kind, kind);
}

TEST(FailureClassifier, WithoutCriteriaAnyBadEndIsTheFailure) {
  FailureClassifier c = Classifier({});
  ExpectVerdict(c.Classify(Exited(0, "FAIL")), false, "pass");
  ExpectVerdict(c.Classify(Exited(3)), true, "exit 3");
  ExpectVerdict(c.Classify(Killed(SIGSEGV)), true, "signal SIGSEGV");
  ExpectVerdict(c.Classify(TimedOut()), true, "timeout");
}

TEST(FailureClassifier, FailOnMatchesTheOutputOnly) {
  FailureClassifier c = Classifier({.fail_on = "Expected: [0-9]+", .fail_exit = {}});
  ExpectVerdict(c.Classify(Exited(0, "x\nExpected: 42\n")), true,
                "output matched /Expected: [0-9]+/");
  ExpectVerdict(c.Classify(Exited(1, "Expected: 42")), true, "output matched /Expected: [0-9]+/");
  ExpectVerdict(c.Classify(Exited(1, "other failure")), false, "exit 1");
  ExpectVerdict(c.Classify(Killed(SIGABRT)), false, "signal SIGABRT");
  ExpectVerdict(c.Classify(Exited(0)), false, "pass");
  ExpectVerdict(c.Classify(TimedOut()), true, "timeout");
}

TEST(FailureClassifier, FailExitMatchesListedCodesOnly) {
  FailureClassifier c = Classifier({.fail_on = "", .fail_exit = {3, 4}});
  ExpectVerdict(c.Classify(Exited(3)), true, "exit 3");
  ExpectVerdict(c.Classify(Exited(4, "Expected: 42")), true, "exit 4");
  ExpectVerdict(c.Classify(Exited(1)), false, "exit 1");
  ExpectVerdict(c.Classify(Killed(SIGSEGV)), false, "signal SIGSEGV");
  ExpectVerdict(c.Classify(Exited(0)), false, "pass");
  ExpectVerdict(c.Classify(TimedOut()), true, "timeout");
}

TEST(FailureClassifier, EitherCriterionSuffices) {
  FailureClassifier c = Classifier({.fail_on = "boom", .fail_exit = {3}});
  ExpectVerdict(c.Classify(Exited(0, "boom")), true, "output matched /boom/");
  ExpectVerdict(c.Classify(Exited(3)), true, "exit 3");
  ExpectVerdict(c.Classify(Exited(3, "boom")), true, "output matched /boom/");
  ExpectVerdict(c.Classify(Exited(2, "bang")), false, "exit 2");
  ExpectVerdict(c.Classify(Killed(SIGSEGV)), false, "signal SIGSEGV");
  ExpectVerdict(c.Classify(TimedOut()), true, "timeout");
}

TEST(FailureClassifier, ListingZeroMakesSuccessTheFailure) {
  FailureClassifier c = Classifier({.fail_on = "", .fail_exit = {0}});
  ExpectVerdict(c.Classify(Exited(0)), true, "exit 0");
}

TEST(FailureClassifier, ProbeThatDidNotStartIsNoVerdict) {
  ProbeOutput out;
  out.error = "timerbisect: command not found: foo (not in PATH)";
  ExpectVerdict(Classifier({}).Classify(out), false, "not started");
  ExpectVerdict(Classifier({.fail_on = "", .fail_exit = {-1}}).Classify(out), false, "not started");
}

TEST(FailureClassifier, BadRegexIsOneLineError) {
  std::string error;
  EXPECT_FALSE(FailureClassifier::Make({.fail_on = "a(b", .fail_exit = {}}, &error));
  EXPECT_EQ(error.rfind("timerbisect: bad --fail-on regex /a(b/: missing )", 0), 0u) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(FailureClassifier, ClassifiesARealProbe) {
  LocalLauncher launcher;
  FailureClassifier c = Classifier({.fail_on = "timer fired twice", .fail_exit = {}});
  ExpectVerdict(c.Classify(RunProbe(launcher, Shell("echo timer fired twice; exit 1"))), true,
                "output matched /timer fired twice/");
  ExpectVerdict(c.Classify(RunProbe(launcher, Command({RUN_CRASH, "segv"}))), false,
                "signal SIGSEGV");
}

TEST(SignalName, NamesAndNumbers) {
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGRTMIN + 1), "signal " + std::to_string(SIGRTMIN + 1));
}

class InterruptGuardTest : public testing::TestWithParam<int> {};

// What the threads of a process are doing: each thread's state and kernel
// wait channel, and the process's signal masks, for a failure message.
std::string ThreadStates(pid_t pid) {
  std::string states;
  const fs::path proc = "/proc/" + std::to_string(pid);
  std::error_code ec;
  for (const auto& task : fs::directory_iterator(proc / "task", ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    std::ifstream wchan(task.path() / "wchan");
    std::string channel;
    std::getline(wchan, channel);
    states += "\n  thread " + task.path().filename().string() + ": " +
              line.substr(line.rfind(')') + 2, 1) + " in " + channel;
  }
  std::ifstream status(proc / "status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Sig", 0) == 0 || line.rfind("ShdPnd", 0) == 0) states += "\n  " + line;
  }
  return states;
}

// Reaps this process's children until none is left. After kPatience the
// ones left are killed, and their thread states returned; "" when all went.
std::string WaitChildrenGone() {
  for (auto give_up = std::chrono::steady_clock::now() + kPatience;
       std::chrono::steady_clock::now() < give_up;) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD) return "";
    std::this_thread::sleep_for(10ms);
  }
  std::string left;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/self/task", ec)) {
    std::ifstream children(task.path() / "children");
    for (pid_t child; children >> child;) {
      left += "\n pid " + std::to_string(child) + ":" + ThreadStates(child);
      kill(child, SIGKILL);
    }
  }
  while (waitpid(-1, nullptr, 0) > 0) {
  }
  return left;
}

// A driver process (forked) runs `sleep 1000` as a probe under an
// InterruptGuard; the signal must stop it and remove its directory, and the
// driver must exit 128+signo. A driver that does not exit is killed after
// kPatience and the failure says where its threads were.
TEST_P(InterruptGuardTest, KillsRunningProbesAndExits) {
  const int signo = GetParam();
  TempDir dir;
  fs::path pidfile = dir.path() / "pid";
  fs::path scratch = dir.path() / "scratch";
  fs::path errfile = dir.path() / "err";
  fs::create_directory(scratch);
  pid_t driver = fork();
  ASSERT_GE(driver, 0);
  if (driver == 0) {
    int err = open(errfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (err < 0 || dup2(err, STDERR_FILENO) < 0) _exit(2);
    close(err);
    {
      LocalLauncher launcher;
      InterruptGuard guard;
      ProbeSpec spec = Shell("echo $$ > " + pidfile.string() + "; exec sleep 1000");
      spec.scratch_root = scratch;
      launcher.Wait(launcher.Start(spec));
    }
    _exit(1);  // the probe ended on its own: the guard did nothing
  }
  pid_t pgid = NumberAfter(WaitForLine(pidfile), "");
  if (pgid <= 0) kill(driver, SIGKILL);
  ASSERT_GT(pgid, 0);
  ASSERT_EQ(kill(driver, signo), 0);
  int status = 0;
  pid_t reaped = 0;
  std::string stuck;
  for (auto give_up = std::chrono::steady_clock::now() + kPatience;
       (reaped = waitpid(driver, &status, WNOHANG)) == 0;) {
    if (std::chrono::steady_clock::now() >= give_up) {
      stuck = ThreadStates(driver);
      kill(driver, SIGKILL);
      kill(-pgid, SIGKILL);
      reaped = waitpid(driver, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(reaped, driver);
  EXPECT_EQ(stuck, "") << "the driver did not exit after the signal; its threads:";
  std::ifstream err_in(errfile);
  std::string err((std::istreambuf_iterator<char>(err_in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status << ", stderr: " << err;
  EXPECT_EQ(WEXITSTATUS(status), 128 + signo);
  EXPECT_EQ(err, "timerbisect: interrupted; stopped 1 running probe\n");
  EXPECT_TRUE(WaitGroupGone(pgid));
  std::string left;  // the probe's directory must go too
  for (const auto& entry : fs::directory_iterator(scratch)) left += entry.path().string() + " ";
  EXPECT_EQ(left, "");
  // The driver's reaper (run/probe_reaper.h), now this subreaper's child,
  // must see the driver gone and exit too.
  EXPECT_EQ(WaitChildrenGone(), "") << "children left after the driver exited:";
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptGuardTest, testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const testing::TestParamInfo<int>& info) {
                           return SignalName(info.param).substr(3);
                         });

TEST(InterruptGuard, RestoresThePreviousHandler) {
  struct sigaction before, during, after;
  sigaction(SIGINT, nullptr, &before);
  {
    InterruptGuard guard;
    sigaction(SIGINT, nullptr, &during);
  }
  sigaction(SIGINT, nullptr, &after);
  EXPECT_NE(during.sa_handler, before.sa_handler);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

}  // namespace
}  // namespace timerbisect::run
