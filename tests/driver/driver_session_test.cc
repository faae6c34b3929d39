// The driver's session (cmd/session.h) against a fake launcher: a protocol
// target simulated in-process, so what the session asks of the launcher can
// be counted exactly. Setup errors, journal replay, the reproduce line and
// the hand-over of earlier runs to the search are tested here, without the
// built executable.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/marker.h"
#include "protocol/matcher.h"
#include "session.h"

namespace timerbisect::cmd {
namespace {

// A bisect-protocol target over changes 1..10 that fails iff change 7 is
// enabled, reading its pattern from MYTOOL_BISECT. Prints a marker for every
// change the pattern reports.
class FakeLauncher final : public run::Launcher {
 public:
  Handle Start(const run::ProbeSpec& spec) override {
    specs.push_back(spec);
    return specs.size();
  }
  run::ProbeOutput Wait(Handle handle) override {
    const run::ProbeSpec& spec = specs[handle - 1];
    std::string pattern;
    for (const auto& [k, v] : spec.env) {
      if (k == "MYTOOL_BISECT") pattern = v.substr(v.find('#') + 1);  // "#PATTERN"
    }
    ++runs_of[pattern];
    run::ProbeOutput out;
    out.started = !cannot_start;
    if (cannot_start) {
      out.error = "timerbisect: cannot run " + spec.argv[0];
      return out;
    }
    if (times_out) {
      out.timed_out = true;
      out.signal = SIGKILL;
      return out;
    }
    if (exits_with != 0) {
      out.exit_code = exits_with;
      out.output = "some output\nsh: 1: nosuchcmd: not found\n";
      return out;
    }
    auto matcher = protocol::Matcher::Parse(pattern);
    bool failed = false;
    for (std::uint64_t id = 1; id <= 10; ++id) {
      bool enabled = matcher ? matcher->ShouldEnable(id) : true;
      if (matcher && matcher->ShouldReport(id)) out.output += protocol::Marker(id) + "\n";
      failed |= enabled && id == 7;
    }
    out.exit_code = failed ? 1 : 0;
    return out;
  }

  std::vector<run::ProbeSpec> specs;
  std::map<std::string, int> runs_of;  // by pattern
  bool cannot_start = false;
  bool times_out = false;  // every run is stopped by the timeout, before any output
  int exits_with = 0;      // every run exits with this code, as a shell's "not found"
};

SessionOptions ProtocolOptions() {
  SessionOptions o;
  o.command = {"/bin/true", "--flag"};
  o.env_pattern = "MYTOOL_BISECT=#PATTERN";
  o.quiet = true;
  o.jobs = 1;
  return o;
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "tb-session-" + std::to_string(getpid()) + "-" + name;
}

TEST(Session, SetupReportsEveryErrorAtOnce) {
  FakeLauncher launcher;
  SessionOptions o = ProtocolOptions();
  o.timeout = "soon";
  o.fail_on = "(unclosed";
  o.godebug = "asynctimerchan";  // and --env too: two protocol modes
  auto session = Session::Open("bisect", o, launcher,
                               {.output_paths = {{"--json", "/nonexistent-dir/answer.json"}}});
  ASSERT_FALSE(session.ok());
  const Errors& errors = session.error();
  ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("--timeout"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("--fail-on"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("only one of --env, --godebug"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("--json"), std::string::npos) << errors[3];
  for (const std::string& e : errors) EXPECT_EQ(e.rfind("timerbisect: ", 0), 0u) << e;
  EXPECT_TRUE(launcher.specs.empty()) << "nothing runs before setup is clean";
}

// The command is not found (the shell's 127): a setup error quoting the
// shell, not "not timer-sensitive" after a search.
TEST(Session, NativeExit127IsASetupErrorQuotingTheOutput) {
  FakeLauncher launcher;
  launcher.exits_with = 127;
  auto session = Session::Open("bisect", ProtocolOptions(), launcher);
  ASSERT_TRUE(session.ok());
  (*session)->RunNative();
  std::string error = (*session)->NativeRunError();
  EXPECT_NE(error.find("exited 127 natively"), std::string::npos) << error;
  EXPECT_NE(error.find("\"sh: 1: nosuchcmd: not found\""), std::string::npos) << error;
  EXPECT_EQ(launcher.specs.size(), 1u);
}

// Every run killed by --timeout before the shim announced itself: the
// timeout is named, not a static program or a cleared environment.
TEST(Session, EveryRunTimedOutBeforeTheShimLoadedNamesTheTimeout) {
  FakeLauncher launcher;
  launcher.times_out = true;
  SessionOptions o;
  o.command = {"/bin/true"};
  o.shim_path = TIMERBISECT_SHIM;
  o.timeout = "5ms";
  o.quiet = true;
  auto session = Session::Open("bisect", o, launcher);
  ASSERT_TRUE(session.ok()) << ::testing::PrintToString(session.error());
  (*session)->RunNative();
  (*session)->Search();
  std::string error = (*session)->RunError();
  EXPECT_NE(error.find("every run was stopped by the timeout (5ms) before the shim"),
            std::string::npos)
      << error;
}

// A library that is not the shim, given as --shim, would load in every run
// and never answer.
TEST(Session, AShimThatIsNotTimerbisectsIsRefused) {
  FakeLauncher launcher;
  SessionOptions o;
  o.command = {"/bin/true"};
  o.shim_path = "/bin/true";
  auto session = Session::Open("bisect", o, launcher);
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.error()[0].find("--shim /bin/true is not timerbisect's shim"),
            std::string::npos)
      << session.error()[0];
  EXPECT_TRUE(launcher.specs.empty());
}

// A --fail-on that matches nothing makes every target pass; the verdict
// says that runs did end badly, in a way the filter does not count.
TEST(Session, AFailureFilterThatMatchesNothingSaysWhatItLeftOut) {
  FakeLauncher launcher;
  SessionOptions o = ProtocolOptions();
  o.fail_on = "no such text";
  auto session = Session::Open("bisect", o, launcher);
  ASSERT_TRUE(session.ok());
  Session& s = **session;
  ProbeRecord native = s.RunNative();
  search::Result result = s.Search();
  report::BisectReport rep = s.Describe(result, native);
  EXPECT_EQ(rep.outcome, search::Outcome::kNotSensitive) << rep.message;
  EXPECT_NE(rep.message.find("ended badly (first: exit 1) in a way --fail-on/--fail-exit do not "
                             "count"),
            std::string::npos)
      << rep.message;
}

// Under --fail-on or --fail-exit the native run's line says whether it
// showed the failure chased; "exit 1" alone did not (audit 28).
TEST(Session, NativeVerdictSaysWhetherItIsTheFailureChased) {
  FakeLauncher launcher;
  SessionOptions o = ProtocolOptions();
  auto plain = Session::Open("bisect", o, launcher);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->NativeVerdictText({true, "exit 1"}), "exit 1");
  o.fail_exit = {3};
  auto chased = Session::Open("bisect", o, launcher);
  ASSERT_TRUE(chased.ok());
  EXPECT_EQ((*chased)->NativeVerdictText({true, "exit 3"}), "FAIL, the failure chased (exit 3)");
  EXPECT_EQ((*chased)->NativeVerdictText({false, "exit 1"}), "ok: exit 1, not the failure chased");
  EXPECT_EQ((*chased)->NativeVerdictText({false, "pass"}), "pass");
}

// --algorithm id takes one run of "y" and of "n" at their word: when both
// pass, the verdict says how few runs it rests on.
TEST(Session, NotSensitiveFromOneRunEachSaysSo) {
  FakeLauncher launcher;
  SessionOptions o = ProtocolOptions();
  o.algorithm = "id";
  o.fail_on = "never printed";
  auto session = Session::Open("bisect", o, launcher);
  ASSERT_TRUE(session.ok());
  Session& s = **session;
  ProbeRecord native = s.RunNative();
  report::BisectReport rep = s.Describe(s.Search(), native);
  EXPECT_EQ(rep.outcome, search::Outcome::kNotSensitive);
  EXPECT_NE(rep.message.find("(1 run of each with --algorithm id; a flaky target can pass both"),
            std::string::npos)
      << rep.message;
  // In the words of the progress lines: a protocol target's changes (a
  // target under the shim: "all sites new ... all sites old"), not the
  // search's "all sites enabled" (audit 27).
  EXPECT_EQ(rep.message.rfind("target passes with all changes enabled and with all changes "
                              "disabled (",
                              0),
            0u)
      << rep.message;
}

TEST(Session, ShimOnlySubcommandsRefuseProtocolTargets) {
  FakeLauncher launcher;
  auto session = Session::Open("triage", ProtocolOptions(), launcher, {.shim_only = true});
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.error()[0].find("triage measures timer semantics through the shim"),
            std::string::npos);
}

TEST(Session, BisectsTheFakeTargetAndWritesTheReproduceLine) {
  FakeLauncher launcher;
  auto session = Session::Open("bisect", ProtocolOptions(), launcher);
  ASSERT_TRUE(session.ok()) << ::testing::PrintToString(session.error());
  Session& s = **session;
  ProbeRecord native = s.RunNative();
  EXPECT_TRUE(native.verdict.failed);
  search::Result result = s.Search();
  EXPECT_EQ(s.RunError(), "");
  report::BisectReport rep = s.Describe(result, native);
  ASSERT_EQ(rep.outcome, search::Outcome::kFound) << rep.message;
  ASSERT_EQ(rep.sets.size(), 1u);
  ASSERT_EQ(rep.sets[0].sites.size(), 1u);
  EXPECT_EQ(rep.sets[0].sites[0].id, 7u);
  EXPECT_EQ(report::ShellLine(rep.sets[0].reproduction),
            "MYTOOL_BISECT=#x0000000000000007 /bin/true --flag");
  report::Reproduction want = {{{"MYTOOL_BISECT", "#x0000000000000007"}}, {"/bin/true", "--flag"}};
  EXPECT_EQ(rep.sets[0].reproduction, want);
  EXPECT_EQ(rep.runs, static_cast<int>(launcher.specs.size())) << "every run is counted";
}

TEST(Session, JournalReplaysEveryRecordedRunWithoutTheLauncher) {
  std::string journal = TempPath("journal");
  std::filesystem::remove(journal);
  SessionOptions o = ProtocolOptions();
  o.journal_path = journal;
  std::vector<report::Reproduction> first_sets;
  int first_runs = 0;
  {
    FakeLauncher launcher;
    auto session = Session::Open("bisect", o, launcher);
    ASSERT_TRUE(session.ok());
    ProbeRecord native = (*session)->RunNative();
    report::BisectReport rep = (*session)->Describe((*session)->Search(), native);
    ASSERT_EQ(rep.outcome, search::Outcome::kFound);
    first_sets.push_back(rep.sets[0].reproduction);
    first_runs = static_cast<int>(launcher.specs.size());
  }
  FakeLauncher again;
  o.quiet = false;  // each replayed run's progress line says so
  auto session = Session::Open("bisect", o, again);
  ASSERT_TRUE(session.ok());
  ::testing::internal::CaptureStderr();
  ProbeRecord native = (*session)->RunNative();
  report::BisectReport rep = (*session)->Describe((*session)->Search(), native);
  const std::string progress = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(native.replayed);
  std::istringstream lines(progress);
  int probe_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(": probe ") == std::string::npos &&
        line.find(": native run: ") == std::string::npos) {
      continue;
    }
    ++probe_lines;
    EXPECT_NE(line.find(" (from the journal, not run again)"), std::string::npos) << line;
  }
  EXPECT_GT(probe_lines, 2) << progress;
  EXPECT_TRUE(again.specs.empty()) << "a recorded run ran again";
  EXPECT_EQ((*session)->target().replayed(), first_runs);
  ASSERT_EQ(rep.sets.size(), 1u);
  EXPECT_EQ(rep.sets[0].reproduction, first_sets[0]);

  // Another command is another run: the journal is refused.
  o.command.push_back("--other");
  FakeLauncher other;
  auto refused = Session::Open("bisect", o, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error()[0].find(journal), std::string::npos) << refused.error()[0];
  std::filesystem::remove(journal);
}

TEST(Session, EarlierRunsAreHandedToTheSearchInsteadOfRunningAgain) {
  FakeLauncher launcher;
  auto session = Session::Open("bisect", ProtocolOptions(), launcher);
  ASSERT_TRUE(session.ok());
  Session& s = **session;
  // As triage does: runs of all-disabled and all-enabled, measured first.
  std::vector<ProbeRecord> earlier;
  for (int i = 0; i < 5; ++i) {
    for (const char* pattern : {"n", "y"}) earlier.push_back(s.target().Run(pattern));
  }
  ASSERT_EQ(launcher.runs_of["n"], 5);
  ASSERT_EQ(launcher.runs_of["y"], 5);
  search::Result result = s.Search(earlier, search::Algorithm::kAdaptive);
  EXPECT_EQ(result.outcome, search::Outcome::kFound) << result.message;
  // The adaptive search decides the direction from "n" and "y": with ten
  // runs given it needs at most a few of its own.
  EXPECT_LT(launcher.runs_of["n"] + launcher.runs_of["y"], 10 + 4)
      << "n: " << launcher.runs_of["n"] << ", y: " << launcher.runs_of["y"];
}

TEST(Session, ACommandThatCannotStartIsARunError) {
  FakeLauncher launcher;
  launcher.cannot_start = true;
  auto session = Session::Open("bisect", ProtocolOptions(), launcher);
  ASSERT_TRUE(session.ok());
  (*session)->RunNative();
  EXPECT_EQ((*session)->RunError(), "timerbisect: cannot run /bin/true");
}

}  // namespace
}  // namespace timerbisect::cmd
