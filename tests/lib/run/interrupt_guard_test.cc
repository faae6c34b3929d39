// InterruptGuard: SIGINT, SIGTERM or SIGHUP stops the running probes and
// exits, and the guard's end restores the previous handlers.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "process_support.h"
#include "run/failure.h"
#include "run/interrupt.h"
#include "run/local_launcher.h"
#include "run/probe.h"

namespace timerbisect::run {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class InterruptGuardTest : public testing::TestWithParam<int> {};

// A driver process (forked) runs `sleep 1000` as a probe under an
// InterruptGuard; the signal must stop it and remove its directory, and the
// driver must exit 128+signo.
TEST_P(InterruptGuardTest, KillsRunningProbesAndExits) {
  const int signo = GetParam();
  TempDir dir;
  fs::path pidfile = dir.path() / "pid";
  fs::path scratch = dir.path() / "scratch";
  fs::create_directory(scratch);
  int err_pipe[2];
  ASSERT_EQ(pipe(err_pipe), 0);
  pid_t driver = fork();
  ASSERT_GE(driver, 0);
  if (driver == 0) {
    dup2(err_pipe[1], STDERR_FILENO);
    close(err_pipe[0]);
    close(err_pipe[1]);
    {
      LocalLauncher launcher;
      InterruptGuard guard;
      ProbeSpec spec = Shell("echo $$ > " + pidfile.string() + "; exec sleep 1000");
      spec.scratch_root = scratch;
      launcher.Wait(launcher.Start(spec));
    }
    _exit(1);  // the probe ended on its own: the guard did nothing
  }
  close(err_pipe[1]);
  pid_t pgid = NumberAfter(WaitForLine(pidfile), "");
  ASSERT_GT(pgid, 0);
  ASSERT_EQ(kill(driver, signo), 0);
  int status = 0;
  ASSERT_EQ(waitpid(driver, &status, 0), driver);
  std::string err;
  char buf[256];
  for (ssize_t n; (n = read(err_pipe[0], buf, sizeof buf)) > 0;)
    err.append(buf, static_cast<std::size_t>(n));
  close(err_pipe[0]);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 128 + signo);
  EXPECT_EQ(err, "timerbisect: interrupted; stopped 1 running probe\n");
  EXPECT_TRUE(WaitGroupGone(pgid));
  std::string left;  // the probe's directory must go too
  for (const auto& entry : fs::directory_iterator(scratch)) left += entry.path().string() + " ";
  EXPECT_EQ(left, "");
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
