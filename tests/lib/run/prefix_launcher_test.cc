// PrefixLauncher with real processes: `env` as the prefix, and a wrapper
// script that records what it was given.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "files.h"
#include "process_support.h"
#include "run/prefix_launcher.h"
#include "run/probe.h"

namespace timerbisect::run {
namespace {

using testing::ReadFile;

std::string Hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

TEST(PrefixLauncher, EnvAsThePrefixGivesExitCodesSignalsEnvironmentAndReports) {
  PrefixLauncher launcher({"env"});
  ProbeOutput exited = RunProbe(launcher, Command({"/bin/sh", "-c", "exit 3"}));
  EXPECT_EQ(exited.exit_code, 3);
  EXPECT_EQ(exited.where, Hostname());
  ProbeOutput killed = RunProbe(launcher, Command({"/bin/sh", "-c", "kill -SEGV $$"}));
  EXPECT_EQ(killed.signal, SIGSEGV);
  EXPECT_EQ(killed.exit_code, -1);
  ProbeOutput code137 = RunProbe(launcher, Command({"/bin/sh", "-c", "exit 137"}));
  EXPECT_EQ(code137.exit_code, 137);
  EXPECT_EQ(code137.signal, 0);
  // The report file is the wrapper's; a process with its stderr closed
  // still reports into it.
  ProbeOutput env = RunProbe(
      launcher, Command({"/bin/sh", "-c",
                         "echo \"$FOO\"; sh -c 'echo \"[bisect-match 0x0000000000000007] s\" >> "
                         "\"$TIMERSEM_REPORT\"' 2>&-"},
                        {{"FOO", "a,b c"}}));
  EXPECT_EQ(env.exit_code, 0);
  EXPECT_EQ(env.output, "a,b c\n");
  EXPECT_EQ(env.report, "[bisect-match 0x0000000000000007] s\n");
}

TEST(PrefixLauncher, ThePrefixGetsItsWordsThenTheWrapperThenEnvThenTheCommand) {
  TempDir dir;
  std::string wrapper = (dir.path() / "wrapper.sh").string();
  std::string log = (dir.path() / "args").string();
  {
    std::ofstream out(wrapper);
    out << "#!/bin/sh\nfor a; do case $a in use*) echo WRAPPER;; *) echo \"$a\";; esac; done > "
        << log << "\nshift\nexec \"$@\"\n";
  }
  chmod(wrapper.c_str(), 0755);
  PrefixLauncher launcher({wrapper, "--host=n7"});
  ProbeOutput out = RunProbe(launcher, Command({"/bin/echo", "hi"}, {{"A", "1"}}));
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.output, "hi\n");
  EXPECT_EQ(ReadFile(log), "--host=n7\nperl\n-e\nWRAPPER\n0.000\nenv\nA=1\n/bin/echo\nhi\n");
}

// The wrapper stops a probe at its timeout and still prints its report: a
// hang is the failure most worth its stacks (killed from outside, the
// wrapper went with the probe and the report was lost).
TEST(PrefixLauncher, ATimedOutProbeStillBringsBackItsReport) {
  PrefixLauncher launcher({"env"});
  ProbeSpec spec = Command({"/bin/sh", "-c",
                            "echo '[bisect-match 0x0000000000000007] s' >> \"$TIMERSEM_REPORT\"; "
                            "exec sleep 30"});
  spec.timeout = std::chrono::milliseconds(200);
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_TRUE(out.timed_out);
  EXPECT_EQ(out.report, "[bisect-match 0x0000000000000007] s\n");
  EXPECT_EQ(out.output, "");  // the wrapper's lines are taken out
  EXPECT_LT(out.duration, std::chrono::seconds(10));
}

// A prefix that never starts the wrapper (or a wrapper that never ends) is
// killed by the launcher's own, later timeout.
TEST(PrefixLauncher, APrefixThatHangsIsKilledByTheBackstop) {
  PrefixLauncher launcher({"/bin/sh", "-c", "exec sleep 60", "prefix"});
  ProbeSpec spec = Command({"/bin/true"});
  spec.timeout = std::chrono::milliseconds(100);
  ProbeOutput out = RunProbe(launcher, spec);
  EXPECT_TRUE(out.timed_out);
  EXPECT_LT(out.duration, std::chrono::seconds(30));
}

}  // namespace
}  // namespace timerbisect::run
