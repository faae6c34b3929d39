// The command a probe becomes on a remote launcher (the wrapper, env and
// the command), and the wrapper's lines taken back out of its output.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "process_support.h"
#include "run/probe.h"
#include "run/remote_command.h"

namespace timerbisect::run {
namespace {

// The command after the wrapper and its timeout (perl -e WRAPPER SECONDS).
std::vector<std::string> AfterWrapper(std::vector<std::string> argv) {
  EXPECT_EQ(argv.at(0), "perl");
  EXPECT_EQ(argv.at(1), "-e");
  return std::vector<std::string>(argv.begin() + 4, argv.end());
}

TEST(RemoteCommand, TheWrapperGetsTheTimeoutInSeconds) {
  ProbeSpec spec = Command({"./t"});
  EXPECT_EQ(RemoteCommand(spec).at(3), "0.000");  // none
  spec.timeout = std::chrono::milliseconds(1500);
  EXPECT_EQ(RemoteCommand(spec).at(3), "1.500");
  // The launcher's own timeout leaves the wrapper time to report first.
  EXPECT_EQ(Backstop(std::chrono::milliseconds(1500)), std::chrono::milliseconds(6500));
  EXPECT_EQ(Backstop(std::chrono::minutes(4)), std::chrono::minutes(5));
  EXPECT_EQ(Backstop(std::chrono::milliseconds(0)), std::chrono::milliseconds(0));
}

TEST(RemoteCommand, CarriesTheEnvironmentExplicitlyLastValueWins) {
  ProbeSpec spec = Command({"./t", "a b"}, {{"LD_PRELOAD", "/s.so"},
                                            {"TIMERSEM", "new#y"},
                                            {"TIMERSEM_ASPECTS", "stale,latency"},
                                            {"TIMERSEM", "old"}});
  EXPECT_EQ(AfterWrapper(RemoteCommand(spec)),
            (std::vector<std::string>{"env", "LD_PRELOAD=/s.so", "TIMERSEM=old",
                                      "TIMERSEM_ASPECTS=stale,latency", "./t", "a b"}));
}

TEST(RemoteCommand, ShellModeRunsTheJoinedWordsThroughSh) {
  ProbeSpec spec = Command({"true", "&&", "./t"}, {{"A", "1"}});
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

// The wrapper never dies of the probe's signal (srun lost its last lines
// then): it names the signal in a line, which becomes the probe's.
TEST(RemoteCommand, TheSignalLineIsTheProbesSignal) {
  ProbeOutput out;
  out.exit_code = 139;
  out.output = "crashing\ntimerbisect-signal: 11\n";
  SeparateWrapperLines(out);
  EXPECT_EQ(out.signal, 11);
  EXPECT_EQ(out.exit_code, -1);
  EXPECT_EQ(out.output, "crashing\n");
}

}  // namespace
}  // namespace timerbisect::run
