// InterruptGuard: SIGINT, SIGTERM or SIGHUP stops the running probes and
// exits, and the guard's end restores the previous handlers.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "files.h"
#include "process_support.h"
#include "run/failure.h"
#include "run/interrupt.h"
#include "run/local_launcher.h"
#include "run/probe.h"
#include "thread_stacks.h"

namespace timerbisect::run {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The signal, and where it goes: to the process, which the driver's guard
// takes from its signalfd (every thread the driver starts after the guard
// blocks the signals); or to a thread started before the guard, which does
// not block them, whose handler must forward it to the guard's thread.
struct Interrupt {
  int signo;
  bool to_thread_before_guard;
};

class InterruptGuardTest : public ::testing::TestWithParam<Interrupt> {};

// What the threads of a process are doing: each thread's state and kernel
// wait channel, and the process's signal masks, for a failure message
// (ThreadStacks adds where each thread is in user space).
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
      left += "\n pid " + std::to_string(child) + ":" + ThreadStates(child) + ThreadStacks(child);
      kill(child, SIGKILL);
    }
  }
  while (waitpid(-1, nullptr, 0) > 0) {
  }
  return left;
}

// In a forked child: stderr goes to `path`, for the parent to read.
void StderrTo(const fs::path& path) {
  int err = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (err < 0 || dup2(err, STDERR_FILENO) < 0) _exit(2);
  close(err);
}

// A driver process (forked) runs `sleep 1000` as a probe under an
// InterruptGuard; the signal must stop it and remove its directory, and the
// driver must exit 128+signo, printing nothing else (its waiting thread
// must not report the killed probe). A driver that does not exit is killed
// after kPatience and the failure says where its threads were.
TEST_P(InterruptGuardTest, KillsRunningProbesAndExits) {
  const int signo = GetParam().signo;
  TempDir dir;
  fs::path pidfile = dir.path() / "pid";
  fs::path scratch = dir.path() / "scratch";
  fs::path errfile = dir.path() / "err";
  fs::path tidfile = dir.path() / "tid";
  fs::create_directory(scratch);
  pid_t driver = fork();
  ASSERT_GE(driver, 0);
  if (driver == 0) {
    StderrTo(errfile);
    {
      if (GetParam().to_thread_before_guard) {
        std::thread([tidfile] {
          std::ofstream(tidfile) << gettid() << "\n";
          for (;;) pause();
        }).detach();
        if (WaitForLine(tidfile).empty()) _exit(2);
      }
      InterruptGuard guard;
      LocalLauncher launcher;
      ProbeSpec spec = Shell("echo $$ > " + pidfile.string() + "; exec sleep 1000");
      spec.scratch_root = scratch;
      ProbeOutput output = launcher.Wait(launcher.Start(spec));
      std::cerr << "the probe was reported as ended (exit " << output.exit_code << ", signal "
                << output.signal << ") " << output.error << "\n";
    }
    _exit(1);  // the probe ended, or was reported as ended: the guard failed
  }
  pid_t pgid = NumberAfter(WaitForLine(pidfile), "");
  if (pgid <= 0) {  // the probe never started: do not leave the driver behind
    kill(driver, SIGKILL);
    waitpid(driver, nullptr, 0);
  }
  ASSERT_GT(pgid, 0);
  if (GetParam().to_thread_before_guard) {
    pid_t tid = NumberAfter(WaitForLine(tidfile), "");
    ASSERT_EQ(syscall(SYS_tgkill, driver, tid, signo), 0);
  } else {
    ASSERT_EQ(kill(driver, signo), 0);
  }
  int status = 0;
  pid_t reaped = 0;
  std::string stuck;
  for (auto give_up = std::chrono::steady_clock::now() + kPatience;
       (reaped = waitpid(driver, &status, WNOHANG)) == 0;) {
    if (std::chrono::steady_clock::now() >= give_up) {
      stuck = ThreadStates(driver) + ThreadStacks(driver);
      kill(driver, SIGKILL);
      kill(-pgid, SIGKILL);
      reaped = waitpid(driver, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(reaped, driver);
  EXPECT_EQ(stuck, "") << "the driver did not exit after the signal; its threads:";
  std::string err = testing::ReadFile(errfile);
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

INSTANTIATE_TEST_SUITE_P(Signals, InterruptGuardTest,
                         ::testing::Values(Interrupt{SIGINT, false}, Interrupt{SIGTERM, false},
                                           Interrupt{SIGHUP, false}, Interrupt{SIGINT, true}),
                         [](const ::testing::TestParamInfo<Interrupt>& info) {
                           return SignalName(info.param.signo).substr(3) +
                                  (info.param.to_thread_before_guard
                                       ? "_ToAThreadStartedBeforeTheGuard"
                                       : "");
                         });

bool Blocked(int signo) {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return sigismember(&mask, signo) == 1;
}

TEST(InterruptGuard, RestoresThePreviousHandlerAndMask) {
  struct sigaction before, during, after;
  sigaction(SIGINT, nullptr, &before);
  ASSERT_FALSE(Blocked(SIGINT));
  {
    InterruptGuard guard;
    sigaction(SIGINT, nullptr, &during);
    EXPECT_TRUE(Blocked(SIGINT));
    EXPECT_TRUE(Blocked(SIGTERM));
    EXPECT_TRUE(Blocked(SIGHUP));
  }
  sigaction(SIGINT, nullptr, &after);
  EXPECT_NE(during.sa_handler, before.sa_handler);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  EXPECT_FALSE(Blocked(SIGINT));
}

// Out of file descriptors, the guard cannot make its signalfd: it says so
// in one line and leaves the signals as they were (a forked child, so the
// limit stays there).
TEST(InterruptGuard, WithoutDescriptorsSaysSoAndChangesNothing) {
  TempDir dir;
  fs::path errfile = dir.path() / "err";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    StderrTo(errfile);
    struct rlimit limit = {64, 64};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(3);
    while (open("/dev/null", O_RDONLY) >= 0) {
    }
    struct sigaction before, during;
    sigaction(SIGINT, nullptr, &before);
    {
      InterruptGuard guard;
      sigaction(SIGINT, nullptr, &during);
      if (Blocked(SIGINT) || during.sa_handler != before.sa_handler) _exit(4);
    }
    _exit(Blocked(SIGINT) ? 5 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(testing::ReadFile(errfile),
            "timerbisect: cannot watch for Ctrl-C (signalfd: Too many open files); an interrupt "
            "will leave the running probes to be killed after this process exits\n");
}

TEST(InterruptGuard, NestedGuardsEndLastInFirstOut) {
  struct sigaction before, outer, between, after;
  sigaction(SIGTERM, nullptr, &before);
  {
    InterruptGuard first;
    sigaction(SIGTERM, nullptr, &outer);
    { InterruptGuard second; }
    sigaction(SIGTERM, nullptr, &between);
    EXPECT_EQ(between.sa_handler, outer.sa_handler);
    EXPECT_TRUE(Blocked(SIGTERM));
  }
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  EXPECT_FALSE(Blocked(SIGTERM));
}

}  // namespace
}  // namespace timerbisect::run
