// `timerbisect env`: the built driver prints export lines for a mode, for a
// list of sites, or for a set of a bisect --json result; a shell that
// evaluates them gets exactly those values. Bad input is one line, exit 2.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "driver_harness.h"
#include "protocol/matcher.h"
#include "protocol/pattern.h"
#include "report/bisect_report.h"
#include "report/format.h"

namespace timerbisect::testing {
namespace {

CliRun Env(std::vector<std::string> flags) {
  flags.insert(flags.begin(), {TIMERBISECT_DRIVER, "env"});
  return RunCli(flags);
}

// What /bin/sh sees after evaluating the driver's output: VAR=value lines.
std::string Evaluated(const std::string& exports, const std::vector<std::string>& vars) {
  std::string script = exports;
  for (const auto& v : vars) script += "printf '%s=%s\\n' " + v + " \"$" + v + "\"\n";
  return RunCli({"/bin/sh", "-c", script}).out;
}

// A bisect result file as the driver writes it (report::ToJson).
std::string WriteBisectJson(const report::BisectReport& rep) {
  std::string path = TempPath("bisect.json");
  std::ofstream(path) << report::ToJson(rep).dump(2) << "\n";
  return path;
}

report::BisectReport TwoSets() {
  report::BisectReport rep;
  rep.outcome = report::Outcome::kFound;
  rep.command = {"./my_test", "--filter=Foo"};
  report::FoundSet a;
  a.mode = "new";
  a.sites.push_back({0x65a, "poll", {}, {}});
  a.reproduction = {{{"TIMERSEM", "new#+x65a"},
                     {"TIMERSEM_DEPTH", "8"},
                     {"LD_PRELOAD", "/opt/tb/libtimerbisect.so"}},
                    {"./my_test", "--filter=Foo"}};
  report::FoundSet b;
  b.mode = "old";
  b.sites.push_back({0x1f3, "timerfd_create", {}, {}});
  b.reproduction = {{{"TIMERSEM", "old#+x1f3"},
                     {"TIMERSEM_SCOPE", "my lib|other's"},
                     {"LD_PRELOAD", "/opt/tb/libtimerbisect.so"}},
                    {"./my_test", "--filter=Foo"}};
  rep.sets = {a, b};
  return rep;
}

TEST(CliEnv, DefaultIsNewForEverySite) {
  CliRun run = Env({"--shim", TIMERBISECT_SHIM});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            std::string("export LD_PRELOAD=") + TIMERBISECT_SHIM + "\nexport TIMERSEM=new\n");
}

TEST(CliEnv, FindsTheShimBesideTheDriver) {
  CliRun run = Env({"--mode", "old"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string shim = std::filesystem::weakly_canonical(TIMERBISECT_SHIM).string();
  EXPECT_EQ(run.out, "export LD_PRELOAD=" + shim + "\nexport TIMERSEM=old\n");
}

// A site ID is a suffix of as many hex digits as typed, as the same text is
// in TIMERSEM: a shortened ID (x087) selects the sites whose IDs end in it.
// It used to be padded to the full ID 0x0000000000000087, which selects no
// site, so the "reproduction" ran every site in the other mode (audit 29).
TEST(CliEnv, SitesBecomeASuffixPatternAsInTimersem) {
  CliRun run = Env({"--mode", "old", "--sites", "0x65a,1F3", "--shim", TIMERBISECT_SHIM});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, std::string("export LD_PRELOAD=") + TIMERBISECT_SHIM +
                         "\nexport TIMERSEM=" + report::ShellQuote("old#x65a+x1f3") + "\n");
  EXPECT_NE(run.err.find("a suffix"), std::string::npos) << run.err;
  // The value a shell ends up with selects those two sites and no other.
  std::string value = Evaluated(run.out, {"TIMERSEM"});
  ASSERT_EQ(value.rfind("TIMERSEM=old#", 0), 0u) << value;
  std::string evaluated = value.substr(13, value.size() - 14);
  auto matcher = protocol::Matcher::Parse(evaluated);
  ASSERT_TRUE(matcher.has_value()) << evaluated;
  EXPECT_TRUE(matcher->ShouldEnable(0x65a));
  EXPECT_TRUE(matcher->ShouldEnable(0x1f3));
  EXPECT_TRUE(matcher->ShouldEnable(0x738d0fac8b73b65a));
  EXPECT_FALSE(matcher->ShouldEnable(0x1f2));
  EXPECT_FALSE(matcher->ShouldEnable(0x65b));

  // A full ID is itself, and needs no note.
  CliRun full = Env({"--sites", "0x738d0fac8b73b087", "--shim", TIMERBISECT_SHIM});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find(report::ShellQuote("new#x738d0fac8b73b087")), std::string::npos)
      << full.out;
  EXPECT_EQ(full.err, "");
  // More than 16 hex digits is no site ID.
  EXPECT_EQ(Env({"--sites", "x10000000000000000", "--shim", TIMERBISECT_SHIM}).exit_code, 2);
}

// The x... form of reproduce lines and match reports is accepted too.
TEST(CliEnv, SitesInThePatternFormOfReproduceLines) {
  CliRun commas = Env({"--mode", "old", "--sites", "0x65a,1F3", "--shim", TIMERBISECT_SHIM});
  for (const char* form : {"x65a+x1f3", "+x65a+x1f3", "x65a,x1f3"}) {
    CliRun run = Env({"--mode", "old", "--sites", form, "--shim", TIMERBISECT_SHIM});
    EXPECT_EQ(run.exit_code, 0) << form << ": " << run.err;
    EXPECT_EQ(run.out, commas.out) << form;
  }
}

TEST(CliEnv, FromJsonReproducesTheFirstSet) {
  std::string path = WriteBisectJson(TwoSets());
  CliRun run = Env({"--from-json", path});
  std::remove(path.c_str());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "export TIMERSEM=new#+x65a\n"
            "export TIMERSEM_DEPTH=8\n"
            "export LD_PRELOAD=/opt/tb/libtimerbisect.so\n");
}

// A set found behind --launcher: the exports come with a comment (so the
// output still evaluates) saying where the probes ran.
TEST(CliEnv, FromJsonOfALauncherRunSaysWhereTheProbesRan) {
  report::BisectReport rep = TwoSets();
  rep.sets[0].reproduction.launcher = {"srun", "--ntasks=1", "--partition=debug q"};
  std::string path = WriteBisectJson(rep);
  CliRun run = Env({"--from-json", path});
  std::remove(path.c_str());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "# the probes ran behind --launcher; to run where they ran, use the set's\n"
            "# reproduce line, or: srun --ntasks=1 '--partition=debug q' env VAR=... CMD\n"
            "export TIMERSEM=new#+x65a\n"
            "export TIMERSEM_DEPTH=8\n"
            "export LD_PRELOAD=/opt/tb/libtimerbisect.so\n");
  EXPECT_EQ(Evaluated(run.out, {"TIMERSEM"}), "TIMERSEM=new#+x65a\n");
}

TEST(CliEnv, FromJsonPicksTheSetAndKeepsQuotedValues) {
  std::string path = WriteBisectJson(TwoSets());
  CliRun run = Env({"--from-json", path, "--set", "2", "--shim", TIMERBISECT_SHIM});
  std::remove(path.c_str());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Evaluated(run.out, {"TIMERSEM", "TIMERSEM_SCOPE", "LD_PRELOAD"}),
            std::string("TIMERSEM=old#+x1f3\nTIMERSEM_SCOPE=my lib|other's\nLD_PRELOAD=") +
                TIMERBISECT_SHIM + "\n");
}

// `triage --json` nests the bisect result under "bisect"; a --shell set
// (its line: env ... sh -c '...') gives its variables the same way.
TEST(CliEnv, FromJsonReadsTriageResultsAndShellLines) {
  report::BisectReport rep = TwoSets();
  rep.sets[0].reproduction = {
      {{"TIMERSEM", "new#+x65a"}, {"LD_PRELOAD", "/opt/tb/libtimerbisect.so"}},
      {"true", "&&", "./my_test"},
      /*shell=*/true};
  std::string path = TempPath("triage.json");
  nlohmann::json triage = {{"verdict", "fails-under-new"}, {"bisect", report::ToJson(rep)}};
  std::ofstream(path) << triage.dump(2) << "\n";
  CliRun run = Env({"--from-json", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "export TIMERSEM=new#+x65a\n"
            "export LD_PRELOAD=/opt/tb/libtimerbisect.so\n");
  triage["bisect"] = nullptr;
  std::ofstream(path) << triage.dump(2) << "\n";
  run = Env({"--from-json", path});
  std::remove(path.c_str());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("a triage result that did not bisect"), std::string::npos) << run.err;
}

// Bad input: one line on stderr, nothing on stdout, exit 2.
void ExpectBadInput(const std::vector<std::string>& flags, const std::string& says) {
  CliRun run = Env(flags);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_EQ(run.err.rfind("timerbisect: ", 0), 0u) << run.err;
  EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << run.err;
  EXPECT_NE(run.err.find(says), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(CliEnv, BadInputIsOneLineAndExitTwo) {
  ExpectBadInput({"--mode", "fast", "--shim", TIMERBISECT_SHIM}, "--mode fast");
  ExpectBadInput({"--sites", "0x65a,zz", "--shim", TIMERBISECT_SHIM}, "--sites 0x65a,zz");
  ExpectBadInput({"--sites", "0x65a,,1", "--shim", TIMERBISECT_SHIM}, "--sites");
  ExpectBadInput({"--shim", "/no/such/libtimerbisect.so"}, "--shim");
  ExpectBadInput({"--set", "2"}, "--set needs --from-json");
  ExpectBadInput({"--from-json", "/no/such/file.json"}, "cannot read it");

  std::string not_json = TempPath("not.json");
  std::ofstream(not_json) << "timerbisect: found 1 set\n";
  ExpectBadInput({"--from-json", not_json}, "not JSON");
  std::remove(not_json.c_str());

  std::string path = WriteBisectJson(TwoSets());
  ExpectBadInput({"--from-json", path, "--set", "3"}, "no set 3 (it has 2)");
  ExpectBadInput({"--from-json", path, "--set", "0"}, "--set 0");
  ExpectBadInput({"--from-json", path, "--mode", "old"}, "drop --mode and --sites");
  std::remove(path.c_str());

  report::BisectReport none;
  none.outcome = report::Outcome::kNotSensitive;
  std::string empty = WriteBisectJson(none);
  ExpectBadInput({"--from-json", empty}, "no sets to reproduce (outcome: not-timer-sensitive)");
  std::remove(empty.c_str());

  // A file from before the reproduction was data; and data of the wrong shape.
  std::string old = TempPath("old.json");
  std::ofstream(old) << R"({"sets": [{"reproduce": "TIMERSEM=new#+x65a ./t"}]})";
  ExpectBadInput({"--from-json", old}, "set 1 has no \"reproduction\"");
  std::ofstream(old) << R"({"sets": [{"reproduction": {"env": [["TIMERSEM"]], "argv": []}}]})";
  ExpectBadInput({"--from-json", old}, "not a [name, value] pair");
  std::remove(old.c_str());
}

}  // namespace
}  // namespace timerbisect::testing
