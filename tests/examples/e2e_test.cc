// End-to-end tests of the driver: the real `timerbisect` bisects the
// programs in examples/ under the real shim, and each test checks the JSON
// answer exactly: the number of sets, each set's sites named by the
// culprit's frame (function and file:line in the example's source), the
// semantics and aspect that fail, and that the printed reproduction command
// fails when run with /bin/sh while the same command with the modes flipped
// passes. Culprit lines come from markers in the example sources (a
// `// CULPRIT` comment), read at test time, so editing an example does not
// silently invalidate the test.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "driver_harness.h"
#include "protocol/hash.h"

namespace timerbisect::e2e {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::CulpritFrame;
using testing::Exit;
using testing::ExpectAspect;
using testing::FlippedCommand;
using testing::ReadFile;
using testing::RunCommand;
using testing::ScratchDir;

// A hang is the failure of drain_after_disarm; its probes, like its
// reproduction command here, are stopped after this long.
constexpr milliseconds kHangTimeout{2000};
constexpr const char* kHangTimeoutFlag = "2s";
// Nothing that should finish comes near this: a safety net, not a threshold.
constexpr milliseconds kSafetyTimeout{120000};

// The driver's answer for `args` (flags and `-- CMD`), read from --json.
struct DriverAnswer {
  Exit exit;
  json answer;
};

DriverAnswer RunDriver(const ScratchDir& dir, std::vector<std::string> args) {
  std::string json_path = dir.File("answer.json");
  std::vector<std::string> argv = {TIMERBISECT_DRIVER, "--json", json_path, "-q"};
  argv.insert(argv.end(), args.begin(), args.end());
  DriverAnswer result;
  result.exit = RunCommand(dir, argv, kSafetyTimeout);
  std::string text = ReadFile(json_path);
  if (!text.empty()) result.answer = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return result;
}

// Runs a reproduction command line the way a user pastes it.
Exit RunShell(const ScratchDir& dir, const std::string& command_line, milliseconds kill_after) {
  return RunCommand(dir, {"/bin/sh", "-c", command_line}, kill_after);
}

// Lines (1-based) of `example`'s main.c that contain `marker`.
std::vector<int> MarkedLines(const std::string& example, const std::string& marker) {
  return testing::MarkedLines(std::string(TIMERBISECT_EXAMPLES_DIR) + "/" + example + "/main.c",
                              marker);
}

// What a shim example is expected to yield: one set holding exactly the
// sites whose lines carry `marker`, created in `functions` (in the order of
// the markers in the source), by `api`.
struct ShimExpectation {
  std::string example;
  std::string path;
  std::string marker = "// CULPRIT";
  std::vector<std::string> functions;
  std::string api;
  std::string mode;    // the semantics that fail: "new" or "old"
  std::string aspect;  // the aspect that fails on its own (the driver may name more)
  bool hangs = false;  // the failure is a hang: probes need --timeout
  // The passing side rests on a native wait staying short: a loaded machine
  // can preempt it past the example's deadline now and then, so the flipped
  // reproduce line must pass in one of a few runs rather than in the first.
  int passing_tries = 1;
  std::vector<std::string> extra_flags;
};

// The expectation for an example whose culprits carry `// CULPRIT`.
ShimExpectation Expect(std::string example, std::string path, std::vector<std::string> functions,
                       std::string api, std::string mode, std::string aspect) {
  ShimExpectation want;
  want.example = std::move(example);
  want.path = std::move(path);
  want.functions = std::move(functions);
  want.api = std::move(api);
  want.mode = std::move(mode);
  want.aspect = std::move(aspect);
  return want;
}

void ExpectFinds(const ShimExpectation& want) {
  ScratchDir dir;
  std::vector<std::string> args = {"--shim", TIMERBISECT_SHIM};
  if (want.hangs) args.insert(args.end(), {"--timeout", kHangTimeoutFlag});
  args.insert(args.end(), want.extra_flags.begin(), want.extra_flags.end());
  args.insert(args.end(), {"--", want.path});
  DriverAnswer got = RunDriver(dir, args);
  ASSERT_EQ(got.exit.code, 0) << got.exit.out << got.exit.err;
  ASSERT_TRUE(got.answer.is_object()) << "no JSON answer; stdout:\n" << got.exit.out;
  EXPECT_EQ(got.answer.value("outcome", ""), "found");
  const json& sets = got.answer["sets"];
  ASSERT_EQ(sets.size(), 1u) << got.answer.dump(2);
  const json& set = sets[0];

  std::vector<int> lines = MarkedLines(want.example, want.marker);
  ASSERT_EQ(lines.size(), want.functions.size()) << "markers in examples/" << want.example;
  std::vector<std::string> expected, found;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    expected.push_back(want.functions[i] + " main.c:" + std::to_string(lines[i]));
  }
  for (const json& site : set["sites"]) {
    found.push_back(CulpritFrame(site, want.example));
    EXPECT_EQ(site.value("api", ""), want.api);
  }
  std::sort(expected.begin(), expected.end());
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, expected) << got.exit.out;
  EXPECT_EQ(set.value("mode", ""), want.mode);
  // The driver names an aspect when toggling it alone, the other one left
  // native, reproduces the failure. Where the native behaviour is itself
  // load-dependent (a 10 us native sleep may take longer than a deadline on
  // a busy machine) the other aspect can be named too, so only the designed
  // one is required.
  ExpectAspect(set, want.aspect);

  std::string reproduce = set.value("reproduce", "");
  EXPECT_NE(reproduce.find(std::string("LD_PRELOAD=") + TIMERBISECT_SHIM), std::string::npos)
      << reproduce;
  EXPECT_NE(reproduce.find("TIMERSEM=" + want.mode + "#"), std::string::npos) << reproduce;
  Exit failing = RunShell(dir, reproduce, want.hangs ? kHangTimeout : kSafetyTimeout);
  if (want.hangs) {
    EXPECT_TRUE(failing.timed_out) << reproduce << "\nexited " << failing.code;
  } else {
    EXPECT_EQ(failing.code, 1) << reproduce << "\n" << failing.out << failing.err;
  }
  std::string flipped = FlippedCommand(set);
  ASSERT_FALSE(flipped.empty()) << reproduce;
  Exit passing;
  for (int i = 0; i < want.passing_tries; ++i) {
    passing = RunShell(dir, flipped, kSafetyTimeout);
    if (passing.code == 0) break;
  }
  EXPECT_EQ(passing.code, 0) << flipped << "\n" << passing.out << passing.err;
}

ShimExpectation DrainAfterDisarm() {
  // That example has no marker comment: its culprit is NewRequestTimer's
  // call of timerfd_create, the only blocking timerfd it creates.
  ShimExpectation want = Expect("drain_after_disarm", E2E_DRAIN_AFTER_DISARM, {"NewRequestTimer"},
                                "timerfd_create", "new", "stale");
  want.marker = "timerfd_create(CLOCK_MONOTONIC, 0)";
  want.hangs = true;
  return want;
}

TEST(Driver, DrainAfterDisarm_FindsTheRequestTimerUnderNew) {
  ExpectFinds(DrainAfterDisarm());
}

TEST(Driver, DrainAfterDisarm_SuffixAlgorithmFindsTheSameSet) {
  ShimExpectation want = DrainAfterDisarm();
  want.extra_flags = {"--algorithm", "suffix"};
  ExpectFinds(want);
}

TEST(Driver, WatchdogSpurious_FindsTheWatchdogUnderOld) {
  ExpectFinds(Expect("watchdog_spurious", E2E_WATCHDOG_SPURIOUS, {"NewWatchdog"}, "timerfd_create",
                     "old", "stale"));
}

// --shell: the reproduce line gives the variables to the whole shell
// command (env ... sh -c '...'), not only to its first simple command.
TEST(Driver, WatchdogSpurious_ThroughAShellCommandReproduces) {
#ifdef TIMERBISECT_SANITIZED
  GTEST_SKIP() << "a sanitized shim loads only into sanitized programs, not /bin/sh";
#endif
  ShimExpectation want =
      Expect("watchdog_spurious", std::string("true && ") + E2E_WATCHDOG_SPURIOUS, {"NewWatchdog"},
             "timerfd_create", "old", "stale");
  want.extra_flags = {"--shell"};
  ExpectFinds(want);
}

TEST(Driver, ShortTimeoutRace_FindsTheOneMicrosecondDeadlineUnderNew) {
  ShimExpectation want = Expect("short_timeout_race", E2E_SHORT_TIMEOUT_RACE, {"NewLookupDeadline"},
                                "timerfd_create", "new", "latency");
  // Under old the 1 us deadline is seen 1 ms (the default lag) late: a
  // client descheduled longer than that between arming it and waiting sees
  // it expire anyway (once in a run of the e2e tests beside a full CI
  // build). Such a run says nothing about the modes.
  want.passing_tries = 5;
  ExpectFinds(want);
}

TEST(Driver, SleepOrdering_FindsTheWorkersShortSleepUnderOld) {
  ShimExpectation want =
      Expect("sleep_ordering", E2E_SLEEP_ORDERING, {"BackOff"}, "select", "old", "latency");
  want.passing_tries = 5;
  ExpectFinds(want);
}

TEST(Driver, ManySites_FindsTheOneChildTimerAmongEightyOne) {
  ExpectFinds(
      Expect("many_sites", E2E_MANY_SITES, {"NewJobTimer"}, "timerfd_create", "new", "stale"));
}

TEST(Driver, PairOnlyTogether_FindsOneSetOfTwoSitesUnderOld) {
  ExpectFinds(Expect("pair_only_together", E2E_PAIR_ONLY_TOGETHER,
                     {"NewControlRetransmitTimer", "NewDataRetransmitTimer"}, "timerfd_create",
                     "old", "stale"));
}

// The change number of a protocol_target report line "change N", or -1.
int ChangeNumber(const std::string& line) {
  int change = -1;
  return std::sscanf(line.c_str(), "change %d", &change) == 1 ? change : -1;
}

// How the pattern reaches protocol_target: the environment variable (--env),
// GODEBUG (--godebug) or its command line (PATTERN in the arguments).
enum class PatternRoute { kEnv, kGodebug, kArgv, kGoStyleWord };

void ExpectProtocolTargetSets(const std::vector<std::string>& extra_flags,
                              PatternRoute route = PatternRoute::kEnv) {
  ScratchDir dir;
  std::vector<std::string> args;
  if (route == PatternRoute::kEnv) args = {"--env", "CHANGES_BISECT=#PATTERN"};
  if (route == PatternRoute::kGodebug) args = {"--godebug", "changes=1"};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  args.push_back("--");
  // Go bisect's form: VAR=VALUE words before the command, one holding PATTERN.
  if (route == PatternRoute::kGoStyleWord) {
    args.insert(args.end(), {"UNRELATED_SETTING=1", "CHANGES_BISECT=#PATTERN"});
  }
  args.push_back(E2E_PROTOCOL_TARGET);
  if (route == PatternRoute::kArgv) args.push_back("-bisect=PATTERN");
  DriverAnswer got = RunDriver(dir, args);
  ASSERT_EQ(got.exit.code, 0) << got.exit.out << got.exit.err;
  ASSERT_TRUE(got.answer.is_object()) << "no JSON answer; stdout:\n" << got.exit.out;
  std::set<std::set<int>> found;
  for (const json& set : got.answer["sets"]) {
    EXPECT_EQ(set.value("mode", ""), "");
    std::set<int> changes;
    for (const json& site : set["sites"]) {
      std::vector<std::string> lines = site.value("lines", std::vector<std::string>{});
      ASSERT_EQ(lines.size(), 1u) << site.dump();
      int change = ChangeNumber(lines[0]);
      changes.insert(change);
      // The ID is the protocol's hash of the change number (Go's bisect.Hash(n)).
      char id[19];
      std::snprintf(id, sizeof id, "0x%016llx",
                    static_cast<unsigned long long>(protocol::Hash(std::int64_t{change})));
      EXPECT_EQ(site.value("id", ""), id) << lines[0];
    }
    // Each set's command reproduces its own failure.
    Exit reproduced = RunShell(dir, set.value("reproduce", ""), kSafetyTimeout);
    EXPECT_EQ(reproduced.code, 1) << set.value("reproduce", "");
    EXPECT_NE(reproduced.out.find(changes.count(17) ? "change 17 breaks" : "42 and 77 conflict"),
              std::string::npos)
        << reproduced.out;
    found.insert(changes);
  }
  EXPECT_EQ(found, (std::set<std::set<int>>{{17}, {42, 77}})) << got.exit.out;
  EXPECT_EQ(got.answer["sets"].size(), 2u);
}

TEST(Driver, ProtocolTarget_FindsChange17AndThePair42And77) {
  ExpectProtocolTargetSets({});
}

TEST(Driver, ProtocolTarget_ThroughGodebug) {
  ExpectProtocolTargetSets({}, PatternRoute::kGodebug);
}

TEST(Driver, ProtocolTarget_ThroughPatternInTheArguments) {
  ExpectProtocolTargetSets({}, PatternRoute::kArgv);
}

TEST(Driver, ProtocolTarget_ThroughAVariableWordBeforeTheCommand) {
  ExpectProtocolTargetSets({}, PatternRoute::kGoStyleWord);
}

// Go bisect's form without `--`: everything from the first command word on
// is the command's, as Go's flag package reads it (the driver took -v and
// -j 2 for itself, and the command ran without them: audit 25).
TEST(Driver, ProtocolTarget_GoFormWithoutDashesKeepsTheCommandsFlags) {
  ScratchDir dir;
  const std::string json_path = dir.File("answer.json");
  Exit got = RunShell(dir,
                      std::string(TIMERBISECT_DRIVER) + " --json " + json_path +
                          " CHANGES_BISECT=#PATTERN " + E2E_PROTOCOL_TARGET + " -v -j 2",
                      kSafetyTimeout);
  ASSERT_EQ(got.code, 0) << got.out << got.err;
  EXPECT_EQ(got.out.find("output of run"), std::string::npos) << got.out;
  json answer = json::parse(ReadFile(json_path), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(answer.value("sets", json::array()).empty()) << answer.dump(2);
  const std::string reproduce = answer["sets"][0].value("reproduce", "");
  EXPECT_NE(reproduce.find(std::string(E2E_PROTOCOL_TARGET) + " -v -j 2"), std::string::npos)
      << reproduce;
}

// A protocol target that never sees the pattern (a misspelt --env
// variable) reports no change in any run: a setup error naming the
// variable, not "not timer-sensitive" (audit 25).
TEST(Driver, ProtocolTarget_ThatReportsNoChange_IsASetupError) {
  ScratchDir dir;
  Exit got = RunShell(
      dir, std::string(TIMERBISECT_DRIVER) + " -q --env NOT_READ=PATTERN -- " + E2E_PROTOCOL_TARGET,
      kSafetyTimeout);
  EXPECT_EQ(got.code, 2) << got.out;
  EXPECT_EQ(got.err,
            "timerbisect: no run reported a change (a [bisect-match] line): does the command read "
            "NOT_READ?\n");
}

// The text answer written to a full disk is lost: the run exits 2 and
// says why, as for a --json file (it exited 0: audit 25).
TEST(Driver, AnswerThatCannotBeWrittenToStdout_Exits2) {
  ScratchDir dir;
  Exit got = RunShell(dir,
                      std::string(TIMERBISECT_DRIVER) + " -q --env CHANGES_BISECT=#PATTERN -- " +
                          E2E_PROTOCOL_TARGET + " > /dev/full",
                      kSafetyTimeout);
  EXPECT_EQ(got.code, 2);
  EXPECT_EQ(got.err,
            "timerbisect: could not write the answer to standard output (No space left on "
            "device); exits 2\n");
}

TEST(Driver, ProtocolTarget_SuffixAlgorithmFindsTheSameSets) {
  ExpectProtocolTargetSets({"--algorithm", "suffix"});
}

// Go bisect's -maxset: change 17 alone is within one site; the pair 42 and
// 77 is not searched for, and the answer says where the search stopped.
TEST(Driver, ProtocolTarget_MaxsetOneFindsChange17AndSaysWhereItStopped) {
  for (const char* algorithm : {"auto", "suffix"}) {
    ScratchDir dir;
    DriverAnswer got = RunDriver(dir, {"--maxset", "1", "--algorithm", algorithm, "--env",
                                       "CHANGES_BISECT=#PATTERN", "--", E2E_PROTOCOL_TARGET});
    ASSERT_EQ(got.exit.code, 0) << algorithm << got.exit.out << got.exit.err;
    ASSERT_TRUE(got.answer.is_object()) << "no JSON answer; stdout:\n" << got.exit.out;
    ASSERT_EQ(got.answer["sets"].size(), 1u) << got.exit.out;
    const json& sites = got.answer["sets"][0]["sites"];
    ASSERT_EQ(sites.size(), 1u) << got.exit.out;
    std::vector<std::string> lines = sites[0].value("lines", std::vector<std::string>{});
    ASSERT_EQ(lines.size(), 1u) << sites.dump();
    EXPECT_EQ(ChangeNumber(lines[0]), 17);
    const std::string stopped = got.answer.value("message", "");
    EXPECT_EQ(stopped.rfind("stopped: ", 0), 0u) << stopped;
    EXPECT_NE(stopped.find("(--maxset 1)"), std::string::npos) << stopped;
    EXPECT_NE(got.exit.out.find("\ntimerbisect: " + stopped + "\n"), std::string::npos)
        << got.exit.out;
  }
}

// Go bisect's -max: one set of the two, and the answer says the search
// stopped there (it read as if the target had one set).
TEST(Driver, ProtocolTarget_MaxOneSaysMoreSetsMayExist) {
  ScratchDir dir;
  DriverAnswer got =
      RunDriver(dir, {"--max", "1", "--env", "CHANGES_BISECT=#PATTERN", "--", E2E_PROTOCOL_TARGET});
  ASSERT_EQ(got.exit.code, 0) << got.exit.out << got.exit.err;
  ASSERT_TRUE(got.answer.is_object()) << "no JSON answer; stdout:\n" << got.exit.out;
  EXPECT_EQ(got.answer["sets"].size(), 1u) << got.exit.out;
  const std::string stopped = got.answer.value("message", "");
  EXPECT_EQ(stopped.rfind("stopped at --max 1: ", 0), 0u) << stopped;
  EXPECT_NE(got.exit.out.find("\ntimerbisect: " + stopped + "\n"), std::string::npos)
      << got.exit.out;
}

void ExpectNotTimerSensitive(const std::vector<std::string>& args) {
  ScratchDir dir;
  DriverAnswer got = RunDriver(dir, args);
  EXPECT_EQ(got.exit.code, 1) << got.exit.out << got.exit.err;
  EXPECT_NE(got.exit.out.find("timerbisect: not timer-sensitive: "), std::string::npos)
      << got.exit.out;
  ASSERT_TRUE(got.answer.is_object()) << "no JSON answer; stdout:\n" << got.exit.out;
  EXPECT_EQ(got.answer.value("outcome", ""), "not-timer-sensitive");
  EXPECT_EQ(got.answer.value("sets", json::array()).size(), 0u);
}

TEST(Driver, TargetWithoutTimers_IsNotTimerSensitive) {
#ifdef TIMERBISECT_SANITIZED
  GTEST_SKIP() << "a sanitized shim loads only into sanitized programs, not /bin/true";
#endif
  ExpectNotTimerSensitive({"--shim", TIMERBISECT_SHIM, "--", "/bin/true"});
}

// pair_only_together fails only through stale expirations; its timers are
// not short, so with the latency aspect alone no semantics makes it fail.
TEST(Driver, TimersThatDoNotMatter_AreNotTimerSensitive) {
  ExpectNotTimerSensitive(
      {"--shim", TIMERBISECT_SHIM, "--aspects", "latency", "--", E2E_PAIR_ONLY_TOGETHER});
}

// `got` is a setup error (exit 2) in one line that starts with `start`.
void ExpectOneLineSetupError(const Exit& got, const std::string& start) {
  EXPECT_EQ(got.code, 2) << got.err;
  EXPECT_EQ(got.err.rfind(start, 0), 0u) << got.err;
  EXPECT_EQ(std::count(got.err.begin(), got.err.end(), '\n'), 1) << got.err;
}

// Shim settings exported in the shell (as `timerbisect env` prints them)
// reach every probe: bisect takes them as their flags, says so, and puts
// them in the reproduce line; a bad one is a one-line setup error naming
// the variable (not "the shim was never loaded").
TEST(Driver, ShimSettingsInTheEnvironment_AreTakenAsTheirFlags) {
  ScratchDir dir;
  const std::string json_path = dir.File("answer.json");
  const std::string driver = std::string(TIMERBISECT_DRIVER) + " --shim " + TIMERBISECT_SHIM;
  Exit got = RunShell(dir,
                      "TIMERSEM_DEPTH=3 TIMERSEM_ASPECTS=stale " + driver + " --json " + json_path +
                          " -- " + E2E_PAIR_ONLY_TOGETHER,
                      kSafetyTimeout);
  EXPECT_EQ(got.code, 0) << got.err;
  EXPECT_NE(got.err.find("timerbisect: taking the shim's settings in the environment as their "
                         "flags: TIMERSEM_ASPECTS=stale (--aspects), TIMERSEM_DEPTH=3 (--depth)\n"),
            std::string::npos)
      << got.err;
  json answer = json::parse(ReadFile(json_path), nullptr, /*allow_exceptions=*/false);
  ASSERT_EQ(answer.value("sets", json::array()).size(), 1u) << answer.dump(2);
  const json& env = answer["sets"][0]["reproduction"]["env"];
  EXPECT_NE(env.dump().find("\"TIMERSEM_DEPTH\",\"3\""), std::string::npos) << env.dump();
  EXPECT_NE(got.out.find(" TIMERSEM_DEPTH=3 "), std::string::npos) << got.out;

  ExpectOneLineSetupError(
      RunShell(dir, "TIMERSEM_LAG=abc " + driver + " -- " + E2E_PAIR_ONLY_TOGETHER, kSafetyTimeout),
      "timerbisect: TIMERSEM_LAG=abc, set in the environment: expected a positive duration");
}

// The same variables as VAR=VALUE words before the command (a reproduce
// line pasted after `timerbisect --`) are read as the exported ones:
// TIMERSEM and TIMERSEM_REPORT are the driver's, the shim in LD_PRELOAD is
// the driver's, a tuning variable is its flag. Given to the command as they
// were, they won over the driver's: every probe ran all old, and
// watchdog_spurious was "not timer-sensitive" (audit 25).
TEST(Driver, ShimVariablesBeforeTheCommand_AreTheDriversOwn) {
  ScratchDir dir;
  const std::string driver = std::string(TIMERBISECT_DRIVER) + " --shim " + TIMERBISECT_SHIM;
  Exit got = RunShell(dir,
                      driver + " -- TIMERSEM=old LD_PRELOAD=" + TIMERBISECT_SHIM +
                          " TIMERSEM_REPORT=/dev/null " + E2E_WATCHDOG_SPURIOUS,
                      kSafetyTimeout);
  EXPECT_EQ(got.code, 0) << got.err;
  EXPECT_NE(got.err.find("timerbisect: leaving out TIMERSEM=old, TIMERSEM_REPORT=/dev/null "
                         "before the command: the driver sets them in every run\n"),
            std::string::npos)
      << got.err;
  ExpectOneLineSetupError(
      RunShell(dir, driver + " -- TIMERSEM_LAG=abc " + E2E_PAIR_ONLY_TOGETHER, kSafetyTimeout),
      "timerbisect: TIMERSEM_LAG=abc, before the command: expected a positive duration");
}

// A shim whose path holds a space (an install prefix with one) can never
// be preloaded: a setup error before any run, not 17 runs and a word about
// static programs (audit 25).
TEST(Driver, ShimPathWithASpace_IsASetupError) {
  ScratchDir dir;
  std::filesystem::create_directory(dir.File("with space"));
  const std::string copy = dir.File("with space/libtimerbisect.so");
  std::filesystem::copy_file(TIMERBISECT_SHIM, copy);
  Exit got = RunShell(
      dir, std::string(TIMERBISECT_DRIVER) + " --shim '" + copy + "' -- " + E2E_WATCHDOG_SPURIOUS,
      kSafetyTimeout);
  EXPECT_EQ(got.code, 2);
  EXPECT_EQ(got.err, "timerbisect: the shim's path " + copy +
                         " holds a space or a colon, which LD_PRELOAD cannot carry; install "
                         "timerbisect under a path without one, or give --shim a copy or link "
                         "there\n");
}

// A flag the chosen search does not read is named in one line, not
// dropped without a word; the search runs as without it.
TEST(Driver, FlagsTheSearchDoesNotRead_AreNamed) {
  ScratchDir dir;
  const std::string driver = std::string(TIMERBISECT_DRIVER) + " -q --shim " + TIMERBISECT_SHIM;
  Exit adaptive = RunShell(
      dir, driver + " --count 2 --algorithm adaptive -- " + E2E_WATCHDOG_SPURIOUS, kSafetyTimeout);
  EXPECT_EQ(adaptive.code, 0) << adaptive.err;
  EXPECT_EQ(adaptive.err,
            "timerbisect: --count 2 has no effect with --algorithm adaptive: the adaptive search "
            "decides its reruns itself\n");
  Exit id = RunShell(
      dir, driver + " --max-runs 10 --confidence 0.9 --algorithm id -- " + E2E_WATCHDOG_SPURIOUS,
      kSafetyTimeout);
  EXPECT_EQ(id.code, 0) << id.err;
  EXPECT_EQ(id.err,
            "timerbisect: --max-runs has no effect with --algorithm id: it is the budget of the "
            "adaptive search and of the default's checks\n"
            "timerbisect: --confidence has no effect with --algorithm id: it is for the adaptive "
            "search and the default's checks\n");
}

// A shell left under the shim by `eval "$(timerbisect env ...)"`, with
// another preloaded library beside it: the driver runs without the shim
// itself (no "shim dropped" lines from its own copy), and every run, the
// native one included, and the reproduce line keep the other library after
// the shim.
TEST(Driver, ShellThatPreloadsTheShim_RunsTheDriverWithoutItAndKeepsOtherPreloads) {
#ifdef TIMERBISECT_SANITIZED
  GTEST_SKIP() << "a sanitized shim loads only into sanitized programs, not sh";
#endif
  ScratchDir dir;
  const std::string seen = dir.File("preloads");
  const std::string script = dir.File("run.sh");
  std::ofstream(script) << "#!/bin/sh\necho \"$LD_PRELOAD\" >> " << seen << "\nexec "
                        << E2E_PAIR_ONLY_TOGETHER << "\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const std::string preload = std::string(TIMERBISECT_SHIM) + ":libm.so.6";
  Exit got = RunShell(dir,
                      "LD_PRELOAD='" + std::string(TIMERBISECT_SHIM) +
                          " libm.so.6' TIMERSEM=new#y " + TIMERBISECT_DRIVER + " -- " + script,
                      kSafetyTimeout);
  EXPECT_EQ(got.code, 0) << got.err;
  EXPECT_EQ(got.err.find("shim dropped"), std::string::npos) << got.err;
  EXPECT_NE(got.err.find("timerbisect: this shell's LD_PRELOAD loads the shim"), std::string::npos)
      << got.err;
  EXPECT_NE(got.out.find("LD_PRELOAD=" + preload + " "), std::string::npos) << got.out;
  std::string lines = ReadFile(seen);
  EXPECT_FALSE(lines.empty());
  for (std::size_t at = 0, end; at < lines.size(); at = end + 1) {
    end = lines.find('\n', at);
    EXPECT_EQ(lines.substr(at, end - at), preload);
  }
}

TEST(Driver, MissingCommand_IsAOneLineSetupError) {
  ScratchDir dir;
  const std::string missing = dir.File("no-such-program");
  DriverAnswer got = RunDriver(dir, {"--shim", TIMERBISECT_SHIM, "--", missing});
  EXPECT_EQ(got.exit.code, 2);
  EXPECT_EQ(std::count(got.exit.err.begin(), got.exit.err.end(), '\n'), 1) << got.exit.err;
  EXPECT_NE(got.exit.err.find(missing), std::string::npos) << got.exit.err;
  EXPECT_EQ(got.exit.out, "");
}

TEST(Driver, StaticBinary_IsAOneLineSetupError) {
  ScratchDir dir;
  DriverAnswer got = RunDriver(dir, {"--shim", TIMERBISECT_SHIM, "--", E2E_STATIC_TARGET});
  EXPECT_EQ(got.exit.code, 2);
  EXPECT_EQ(std::count(got.exit.err.begin(), got.exit.err.end(), '\n'), 1) << got.exit.err;
  EXPECT_NE(got.exit.err.find("static"), std::string::npos) << got.exit.err;
  EXPECT_EQ(got.exit.out, "");
}

// A wrapper that starts a static program: the shim cannot follow, and the
// driver names the program and why (audit 26: "the shim was loaded but no
// run reached a timer site", with nothing about the static test).
TEST(Driver, WrapperThatStartsAStaticProgram_NamesIt) {
#ifdef TIMERBISECT_SANITIZED
  GTEST_SKIP() << "a sanitized shim loads only into sanitized programs, not sh";
#endif
  ScratchDir dir;
  Exit got = RunCommand(dir,
                        {TIMERBISECT_DRIVER, "-q", "--shim", TIMERBISECT_SHIM, "--", "/bin/sh",
                         "-c", std::string("exec ") + E2E_STATIC_TARGET},
                        kSafetyTimeout);
  EXPECT_EQ(got.code, 2) << got.out << got.err;
  EXPECT_NE(got.err.find(std::string("the shim was dropped when ") + E2E_STATIC_TARGET +
                         " (a static program, which LD_PRELOAD cannot load the shim into) was "
                         "started; if that is the program, build it without -static"),
            std::string::npos)
      << got.err;
}

// A wrapper that clears the environment (env -i) runs the program without
// the shim: the shim loaded only in env, and says so as env execs. Every
// subcommand calls that a setup error instead of "not timer-sensitive",
// "inconclusive" or "0 timer sites".
TEST(Driver, WrapperThatClearsTheEnvironment_IsAOneLineSetupError) {
#ifdef TIMERBISECT_SANITIZED
  GTEST_SKIP() << "a sanitized shim loads only into sanitized programs, not env or sh";
#endif
  for (const char* subcommand : {"bisect", "triage", "sites"}) {
    for (const std::string& wrapper :
         {std::string("env -i ") + E2E_PAIR_ONLY_TOGETHER,
          std::string("exec env -i ") + E2E_PAIR_ONLY_TOGETHER + " --no-such-flag-is-fine"}) {
      ScratchDir dir;
      std::vector<std::string> argv = {TIMERBISECT_DRIVER, subcommand, "--shim", TIMERBISECT_SHIM};
      if (std::string(subcommand) != "sites") argv.push_back("-q");  // sites prints no progress
      for (const char* word : {"--", "/bin/sh", "-c"}) argv.push_back(word);
      argv.push_back(wrapper);
      Exit got = RunCommand(dir, argv, kSafetyTimeout);
      EXPECT_EQ(got.code, 2) << subcommand << " " << wrapper << "\n" << got.out << got.err;
      EXPECT_EQ(std::count(got.err.begin(), got.err.end(), '\n'), 1) << got.err;
      EXPECT_NE(got.err.find("no timer site was reached, and the shim was dropped when "),
                std::string::npos)
          << got.err;
      EXPECT_NE(got.err.find(E2E_PAIR_ONLY_TOGETHER), std::string::npos) << got.err;
      // Known once the native run, all-old and all-new ran (bisect's first
      // two probes, triage's first round with -j 3): no search follows. The
      // journal holds its header and those three runs.
      if (std::string(subcommand) != "sites") {
        std::vector<std::string> counted = argv;
        counted.insert(counted.begin() + 4, {"--journal", dir.path() + "/j", "-j", "3"});
        Exit journaled = RunCommand(dir, counted, kSafetyTimeout);
        EXPECT_EQ(journaled.code, 2) << journaled.err;
        std::ifstream journal(dir.path() + "/j");
        std::string line;
        int lines = 0;
        while (std::getline(journal, line)) ++lines;
        EXPECT_EQ(lines, 4) << subcommand;
      }
    }
  }
}

// A wrapper that reaches timer sites itself (timeout(1) arms one) and then
// runs the test without the shim: every run reaches sites, so this is no
// setup error, but the answer must not be a bare "not timer-sensitive".
TEST(Driver, WrapperWithTimersThatDropsTheShim_AnswerNamesTheDroppedExec) {
#ifdef TIMERBISECT_SANITIZED
  GTEST_SKIP() << "a sanitized shim loads only into sanitized programs, not timeout or env";
#endif
  for (const char* subcommand : {"bisect", "triage"}) {
    ScratchDir dir;
    Exit got = RunCommand(dir,
                          {TIMERBISECT_DRIVER, subcommand, "--shim", TIMERBISECT_SHIM, "--timeout",
                           "20s", "--", "timeout", "60", "env", "-u", "LD_PRELOAD", E2E_MANY_SITES},
                          kSafetyTimeout);
    EXPECT_EQ(got.code, 1) << subcommand << "\n" << got.out << got.err;
    const std::string said = got.out + got.err;
    EXPECT_NE(said.find("the shim was dropped when " + std::string(E2E_MANY_SITES) +
                        " (missing LD_PRELOAD) was started"),
              std::string::npos)
        << subcommand << "\n"
        << said;
  }
}

// --timeout 0 and 999us once silently meant "no timeout"; now every
// subcommand refuses them before running anything.
TEST(Driver, TimeoutUnderAMillisecond_IsAOneLineSetupError) {
  for (const char* subcommand : {"bisect", "triage", "sites"}) {
    for (const char* value : {"0", "999us"}) {
      ScratchDir dir;
      Exit got = RunCommand(dir,
                            {TIMERBISECT_DRIVER, subcommand, "--shim", TIMERBISECT_SHIM,
                             "--timeout", value, "--", E2E_PAIR_ONLY_TOGETHER},
                            kSafetyTimeout);
      EXPECT_EQ(got.code, 2) << subcommand << " " << value << "\n" << got.err;
      EXPECT_EQ(std::count(got.err.begin(), got.err.end(), '\n'), 1) << got.err;
      EXPECT_NE(got.err.find("under 1ms"), std::string::npos) << got.err;
      EXPECT_EQ(got.out, "");
    }
  }
}

// Output paths are checked before the first probe: a bad one is a one-line
// setup error at once, not after the whole search.
TEST(Driver, UnwritableOutputPath_FailsBeforeTheFirstProbe) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bisect", "--json"}, {"triage", "--json"}, {"triage", "--junit"}, {"sites", "--json"}};
  for (const auto& [subcommand, flag] : cases) {
    ScratchDir dir;
    // A missing directory, and one that takes no new file although access()
    // lets root write there (/proc).
    const std::string path =
        subcommand == "sites" ? "/proc/timerbisect-out.json" : dir.File("no-such-dir/out");
    Exit got = RunCommand(dir,
                          {TIMERBISECT_DRIVER, subcommand, "--shim", TIMERBISECT_SHIM, flag, path,
                           "--", E2E_PAIR_ONLY_TOGETHER},
                          kSafetyTimeout);
    EXPECT_EQ(got.code, 2) << subcommand << " " << flag << "\n" << got.err;
    EXPECT_EQ(std::count(got.err.begin(), got.err.end(), '\n'), 1) << got.err;
    EXPECT_NE(got.err.find(flag + " " + path), std::string::npos) << got.err;
    EXPECT_EQ(got.err.find("probe"), std::string::npos) << "a probe ran first:\n" << got.err;
  }
}

// --json - writes the JSON to stdout (the text report to stderr).
TEST(Driver, JsonDashWritesTheAnswerToStdout) {
  ScratchDir dir;
  Exit got = RunCommand(dir,
                        {TIMERBISECT_DRIVER, "-q", "--shim", TIMERBISECT_SHIM, "--json", "-", "--",
                         E2E_WATCHDOG_SPURIOUS},
                        kSafetyTimeout);
  EXPECT_EQ(got.code, 0) << got.err;
  json answer = json::parse(got.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(answer.is_object()) << got.out;
  EXPECT_EQ(answer.value("outcome", ""), "found");
  EXPECT_NE(got.err.find("timerbisect: found"), std::string::npos) << got.err;
}

// Command-line mistakes: one line with the timerbisect: prefix, exit 2;
// a near-miss subcommand is named; help has one usage line.
TEST(Driver, CommandLineMistakes_AreOneLineWithASuggestion) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{"triag", "--", "x"}, "did you mean `timerbisect triage`?"},
           {{"site"}, "did you mean `timerbisect sites`?"},
           {{"--depth", "0", "--", "x"}, "timerbisect: --depth: "},
           {{"--depth", "100", "--", "x"}, "timerbisect: --depth: "},
           {{"--max-runs", "-5", "--", "x"}, "timerbisect: --max-runs: "},
           {{"--no-such-flag"}, "timerbisect: unknown flag --no-such-flag"},
           {{"--junit", "x.xml", "--", "true"},
            "unknown flag --junit: it is a flag of `timerbisect triage`"},
           {{"triage", "--fail-exitt", "1", "--", "true"}, "see timerbisect triage --help"},
           {{"--confidence", "nan", "--", "true"}, "timerbisect: --confidence: not a number"},
           {{"--fail-exit", "1,300", "--", "true"}, "timerbisect: --fail-exit: "},
           {{"--fail-exit", "-1", "--", "true"}, "timerbisect: --fail-exit: "},
           // A name no shell could set, an empty GODEBUG name, a scope
           // that broke the error into two lines (audit 25).
           {{"--env", "A B=PATTERN", "--", "true"}, "expected VAR=VALUE with PATTERN"},
           {{"--godebug", "=1", "--", "true"}, "--godebug =1: expected NAME=VALUE"},
           {{"--scope", "main\nx", "--", "true"}, "--scope main\\x0ax: holds a control character"},
           // CLI11 read 0x10 as hex and 010 as octal (audit 25).
           {{"--depth", "0x10", "--", "true"},
            "timerbisect: --depth: expected a decimal number, not 0x10"},
           {{"--timeout", "", "--", "true"}, "timerbisect: --timeout: an empty value"},
           {{"triage", "--fail-on", "", "--", "true"}, "timerbisect: --fail-on: an empty value"},
           {{"--short", "5", "--", "true"},
            "--short 5: expected a positive duration: whole digits and a unit (ns, us, ms, s or "
            "m)"},
           {{"env", "--mode", "new", "--", "ls"}, "env prints the lines"},
           {{"env", "-j", "2"},
            "unknown flag -j: it is a flag of `timerbisect bisect` and `timerbisect triage`"},
           {{"env", "extra", "--mode", "new", "more"},
            "env takes only flags and runs nothing (not expected: extra more)"},
           {{"sites", "--depth", "x", "--", "true"}, "see timerbisect sites --help"},
           {{"--count", "abc", "--", "true"},
            "timerbisect: --count: expected a whole number from 1 to 1000, not \"abc\""},
           {{"-j", "--", "true"}, "timerbisect: --jobs: needs a value;"},
           {{"--json=", "--", "true"}, "timerbisect: --json: an empty value"},
           {{"triage", "--fail-on=", "--", "true"}, "timerbisect: --fail-on: an empty value"},
           {{"env", "--mode"}, "timerbisect: --mode: needs a value;"},
       }) {
    ScratchDir dir;
    std::vector<std::string> argv = {TIMERBISECT_DRIVER};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    Exit got = RunCommand(dir, argv, kSafetyTimeout);
    EXPECT_EQ(got.code, 2) << c.args[0] << "\n" << got.err;
    EXPECT_EQ(std::count(got.err.begin(), got.err.end(), '\n'), 1) << got.err;
    EXPECT_EQ(got.err.rfind("timerbisect: ", 0), 0u) << got.err;
    EXPECT_NE(got.err.find(c.says), std::string::npos) << got.err;
    EXPECT_LT(got.err.size(), 200u) << got.err;
  }
  ScratchDir dir;
  Exit help = RunCommand(dir, {TIMERBISECT_DRIVER, "help"}, kSafetyTimeout);
  EXPECT_EQ(help.code, 0);
  std::string lower = help.out;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  std::size_t usages = 0;
  for (std::size_t at = lower.find("usage:"); at != std::string::npos;
       at = lower.find("usage:", at + 1)) {
    ++usages;
  }
  EXPECT_EQ(usages, 1u) << help.out;
  for (const char* documented : {"--shell", "TIMERBISECT_SHIM", "(default 60)"}) {
    std::string text = help.out;
    if (std::string(documented) == "(default 60)") {
      text = RunCommand(dir, {TIMERBISECT_DRIVER, "triage", "--help"}, kSafetyTimeout).out;
    }
    EXPECT_NE(text.find(documented), std::string::npos) << documented << "\n" << text;
  }
}

// Output piped into a reader that has gone (`| head`): the driver is not
// killed by SIGPIPE (141) and finishes with its own exit code.
TEST(Driver, ClosedOutputPipe_DoesNotKillTheDriver) {
  ScratchDir dir;
  Exit got = RunShell(dir,
                      std::string("( ") + TIMERBISECT_DRIVER + " -q --shim " + TIMERBISECT_SHIM +
                          " -- " + E2E_WATCHDOG_SPURIOUS + "; echo \"rc=$?\" >&2 ) | true",
                      kSafetyTimeout);
  EXPECT_NE(got.err.find("rc=0"), std::string::npos) << got.err;
}

// The default command on a target whose one culprit among 90 changes fails
// only half of the runs it is on: exactly that culprit in at least 9 of 10
// trials, and never a wrong set. Each trial is seeded and repeatable on a
// given number of cores (the default -j): a run's draw depends on the seed,
// its pattern and that pattern's earlier runs, not on the order in which
// the driver's parallel runs start. Seeds 1-10 were all exact at -j 1, 2,
// 3, 4 and 8 (2026-12-06).
TEST(Driver, FlakyCulpritAmongNinety_DefaultFlagsFindItInNineOfTenTrials) {
  int exact = 0, wrong = 0;
  std::string answers;
  for (int seed = 1; seed <= 10; ++seed) {
    ScratchDir dir;
    DriverAnswer got =
        RunDriver(dir, {"--", "FLAKY_SEED=" + std::to_string(seed), "FLAKY_DIR=" + dir.path(),
                        "CHANGES_BISECT=#PATTERN", E2E_FLAKY_PROTOCOL_TARGET});
    std::set<std::set<int>> found;
    for (const json& set : got.answer.value("sets", json::array())) {
      std::set<int> changes;
      for (const json& site : set["sites"]) {
        for (const std::string& line : site.value("lines", std::vector<std::string>{})) {
          changes.insert(ChangeNumber(line));
        }
      }
      found.insert(changes);
    }
    bool is_exact = got.exit.code == 0 && found == std::set<std::set<int>>{{17}};
    exact += is_exact;
    wrong += !is_exact && !found.empty();
    answers += "seed " + std::to_string(seed) + ": exit " + std::to_string(got.exit.code) + ",";
    for (const std::set<int>& changes : found) {
      answers += " {";
      for (int change : changes) answers += " " + std::to_string(change);
      answers += " }";
    }
    answers += ", " + std::to_string(got.answer.value("runs", 0)) + " runs\n";
  }
  EXPECT_GE(exact, 9) << answers;
  EXPECT_EQ(wrong, 0) << answers;
}

// A probe whose pattern is over Linux's 128 KiB limit for one environment
// variable never starts (16000 changes, the adaptive search's explicit ID
// lists): its progress line must not give it a verdict ("ok" before the
// error, audit 25), and the advice must not offer --scope, which a
// protocol target without the shim has no use for.
TEST(Driver, ProbeThatNeverStarted_HasNoVerdictAndNoScopeAdvice) {
  ScratchDir dir;
  Exit got = RunCommand(dir,
                        {TIMERBISECT_DRIVER, "--algorithm", "adaptive", "-j", "1", "--",
                         "FLAKY_P=1", "FLAKY_CHANGES=16000", "FLAKY_DIR=" + dir.path(),
                         "CHANGES_BISECT=#PATTERN", E2E_FLAKY_PROTOCOL_TARGET},
                        kSafetyTimeout);
  EXPECT_EQ(got.code, 2) << got.err;
  EXPECT_NE(got.err.find("over Linux's 128 KiB limit"), std::string::npos) << got.err;
  EXPECT_NE(got.err.find("--algorithm suffix"), std::string::npos) << got.err;
  EXPECT_EQ(got.err.find("--scope"), std::string::npos) << got.err;
  // Every probe's progress line with a verdict is a run that happened: the
  // target counted each run it made in FLAKY_DIR, one byte per run, the
  // native run's too.
  std::size_t verdicts = 0;
  for (std::size_t at = got.err.find("timerbisect: "); at != std::string::npos;
       at = got.err.find("timerbisect: ", at + 1)) {
    std::string line = got.err.substr(at, got.err.find('\n', at) - at);
    bool verdict =
        line.find(": ok") != std::string::npos || line.find(": FAIL") != std::string::npos;
    if (line.find(": probe ") != std::string::npos && verdict) {
      ++verdicts;
    }
  }
  std::size_t runs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind("runs-", 0) == 0) runs += entry.file_size();
  }
  EXPECT_GT(runs, 0u) << got.err;
  EXPECT_EQ(verdicts + 1, runs) << got.err;
}

}  // namespace
}  // namespace timerbisect::e2e
