// `timerbisect sites`: the built driver runs the watch-mode test program
// (tests/progs/shim_watch.c) once under the built shim; the tests check the
// table and the JSON it prints: every site with its counts, its stack
// symbolized to the program's functions and source lines, and the timers
// left open at exit. Also the report lines' parsing (lib/report).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>
#include <string>

#include "driver_harness.h"
#include "report/site_reports.h"

namespace timerbisect::testing {
namespace {

using nlohmann::json;

// The line of the test program holding `marker`; 0 if absent.
int LineOf(const std::string& marker) {
  std::istringstream in(ReadFile(CLI_WATCH_SOURCE));
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.find(marker) != std::string::npos) return n;
  }
  return 0;
}

std::string PollLine() {
  return "shim_watch.c:" + std::to_string(LineOf("// WATCH-POLL-SITE"));
}

// --short 5ms makes the program's 1 ms polls short.
CliRun Sites(std::vector<std::string> flags, const std::string& behaviour = "timers") {
  std::vector<std::string> argv = {TIMERBISECT_DRIVER, "sites", "--short", "5ms"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"--", CLI_WATCH_PROG, behaviour});
  return RunCli(argv);
}

// The text's block for one API: from "API: N site(s)" to the next blank line.
std::string Block(const std::string& text, const std::string& heading) {
  auto at = text.find("\n" + heading);
  if (at == std::string::npos) return "";
  auto end = text.find("\n\n", at + 1);
  return text.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
}

TEST(CliSites, ListsEverySiteWithCountsAndSourceLines) {
  CliRun run = Sites({});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("timerbisect: 5 timer sites reached in one run (pass)"), std::string::npos)
      << run.out;
  std::string polls = Block(run.out, "poll: 1 site");
  EXPECT_NE(polls.find("arms 3  re-arms 0  short 3"), std::string::npos) << run.out;
  EXPECT_NE(polls.find("#0 ShortPolls "), std::string::npos) << polls;
  EXPECT_NE(polls.find(PollLine()), std::string::npos) << polls << "\nwanted " << PollLine();
  std::string timerfds = Block(run.out, "timerfd_create: 2 sites");
  EXPECT_NE(timerfds.find("arms 2  re-arms 1  short 1"), std::string::npos) << run.out;
  EXPECT_NE(timerfds.find("arms 0  re-arms 0  short 0"), std::string::npos) << run.out;
  EXPECT_NE(timerfds.find("MakeTimerfd "), std::string::npos) << timerfds;
  EXPECT_NE(timerfds.find("MakeUnusedTimerfd "), std::string::npos) << timerfds;
  std::string timers = Block(run.out, "timer_create: 2 sites");
  EXPECT_NE(timers.find("arms 1  re-arms 0  short 0"), std::string::npos) << run.out;
  EXPECT_NE(timers.find("MakePosixTimer "), std::string::npos) << timers;
  EXPECT_NE(timers.find("MakeDeletedPosixTimer "), std::string::npos) << timers;
}

// One definition of a site for sites and bisect: a wait that was never
// short is no site (no mode changes it, and bisect never sees it); sites
// lists it apart. With --short 100us the three 1 ms polls are such waits.
TEST(CliSites, WaitsLongerThanTheShortThresholdAreListedApart) {
  CliRun run =
      RunCli({TIMERBISECT_DRIVER, "sites", "--short", "100us", "--", CLI_WATCH_PROG, "timers"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("timerbisect: 4 timer sites reached in one run (pass)"), std::string::npos)
      << run.out;
  EXPECT_EQ(run.out.find("\npoll: 1 site"), std::string::npos) << run.out;
  std::string waits = Block(run.out, "1 more call site only waited longer than the short");
  EXPECT_NE(waits.find("poll x3  at ShortPolls "), std::string::npos) << run.out;
}

TEST(CliSites, ListsTimersStillOpenAtExit) {
  CliRun run = Sites({});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string open = Block(run.out, "timers still armed or never closed at exit:");
  EXPECT_NE(open.find("timerfd_create: 1 timerfd never closed (1 armed)"), std::string::npos)
      << run.out;
  EXPECT_NE(open.find("at MakeTimerfd "), std::string::npos) << open;
  EXPECT_NE(open.find("timer_create: 1 POSIX timer never deleted (1 armed)"), std::string::npos)
      << run.out;
  EXPECT_NE(open.find("at MakePosixTimer "), std::string::npos) << open;
  // The closed timerfd and the deleted timer are not there.
  EXPECT_EQ(open.find("MakeUnusedTimerfd"), std::string::npos) << open;
  EXPECT_EQ(open.find("MakeDeletedPosixTimer"), std::string::npos) << open;
}

TEST(CliSites, JsonHasTheSameContent) {
  std::string path = TempPath("sites.json");
  CliRun run = Sites({"--json", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json doc = json::parse(ReadFile(path));
  std::remove(path.c_str());
  EXPECT_EQ(doc["result"], "pass");
  ASSERT_EQ(doc["sites"].size(), 5u) << doc.dump(2);
  int polls = 0;
  for (const json& site : doc["sites"]) {
    EXPECT_EQ(site["id"].get<std::string>().rfind("0x", 0), 0u);
    EXPECT_TRUE(site["counted"].get<bool>());
    ASSERT_FALSE(site["frames"].empty());
    if (site["api"] != "poll") continue;
    ++polls;
    EXPECT_EQ(site["arms"], 3);
    EXPECT_EQ(site["rearms"], 0);
    EXPECT_EQ(site["short"], 3);
    const json& f = site["frames"][0];
    EXPECT_EQ(f["function"], "ShortPolls");
    std::string file = f["file"];
    EXPECT_EQ(file.substr(file.rfind('/') + 1), "shim_watch.c");
    EXPECT_EQ(f["line"], LineOf("// WATCH-POLL-SITE"));
  }
  EXPECT_EQ(polls, 1);
  ASSERT_EQ(doc["open_at_exit"].size(), 2u) << doc.dump(2);
  int timerfds = 0, posix_timers = 0;
  for (const json& o : doc["open_at_exit"]) {
    timerfds += o["open"]["timerfds_armed"].get<int>();
    posix_timers += o["open"]["posix_timers_armed"].get<int>();
  }
  EXPECT_EQ(timerfds, 1);
  EXPECT_EQ(posix_timers, 1);
}

TEST(CliSites, ForkedChildrenAddTheirCounts) {
  // Depth 1: one poll site, reached by the parent once and the child twice.
  CliRun run = Sites({"--depth", "1"}, "fork");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(Block(run.out, "poll: 1 site").find("arms 3  re-arms 0  short 3"), std::string::npos)
      << run.out;
}

// Boost.Asio's timers are compiled into the program: sites says that it
// cannot interpose them when it sees such a loop, and only then.
TEST(CliSites, SaysWhenItSeesAHeaderOnlyTimerQueue) {
  if (std::string(CLI_ASIO_PROG).empty()) {
    GTEST_SKIP() << "examples/asio_deadline_units was not built (libboost-dev)";
  }
  CliRun run = RunCli({TIMERBISECT_DRIVER, "sites", "--", CLI_ASIO_PROG});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("note: a Boost.Asio loop was seen (site 0x"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("cannot interpose"), std::string::npos) << run.out;
  CliRun plain = Sites({});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("header-only"), std::string::npos) << plain.out;
}

TEST(CliSites, ATargetWithoutTimersIsNotAnError) {
  CliRun run = Sites({}, "no-such-behaviour");  // the program exits 2 at once
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("timerbisect: 0 timer sites reached in one run (exit 2)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("at exit:\n  none\n"), std::string::npos) << run.out;
}

TEST(CliSites, ScopeLimitsTheSites) {
  CliRun run = Sites({"--scope", "no-such-module"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("timerbisect: 0 timer sites"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("timerbisect: no timer site matched --scope no-such-module: the runs "
                         "reached timer sites"),
            std::string::npos)
      << run.out;
}

// The scope matches the program's own functions, static ones included,
// which only the full symbol table names (the dynamic one has none of them).
TEST(CliSites, ScopeMatchesTheProgramsOwnStaticFunction) {
  CliRun run = Sites({"--scope", "ShortPolls"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("timerbisect: 1 timer site reached"), std::string::npos) << run.out;
  EXPECT_NE(Block(run.out, "poll: 1 site").find("#0 ShortPolls "), std::string::npos) << run.out;
}

// A setup error is one line on stderr and exit 2, before anything runs.
void ExpectSetupError(const std::vector<std::string>& argv, const std::string& says) {
  CliRun run = RunCli(argv);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_EQ(run.err.rfind("timerbisect: ", 0), 0u) << run.err;
  EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << run.err;
  EXPECT_NE(run.err.find(says), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(CliSites, SetupErrorsExitTwo) {
  ExpectSetupError({TIMERBISECT_DRIVER, "sites"}, "no command");
  ExpectSetupError({TIMERBISECT_DRIVER, "sites", "--", "/no/such/program"}, "/no/such/program");
  ExpectSetupError({TIMERBISECT_DRIVER, "sites", "--scope", "(", "--", CLI_WATCH_PROG},
                   "not a valid re2 regex");
  ExpectSetupError({TIMERBISECT_DRIVER, "sites", "--depth", "65", "--", CLI_WATCH_PROG}, "--depth");
  ExpectSetupError({TIMERBISECT_DRIVER, "sites", "--short", "soon", "--", CLI_WATCH_PROG},
                   "--short");
  ExpectSetupError({TIMERBISECT_DRIVER, "sites", "--timeout", "later", "--", CLI_WATCH_PROG},
                   "--timeout");
  ExpectSetupError({TIMERBISECT_DRIVER, "sites", "--shim", "/no/such/lib.so", "--", CLI_WATCH_PROG},
                   "--shim");
}

// ---- lib/report: the watch-mode lines ----

constexpr const char* kWatchReport =
    "timerbisect: shim active pid=1 TIMERSEM=watch\n"
    "[bisect-match 0x00000000000000aa] timerbisect site poll mode=native\n"
    "[bisect-match 0x00000000000000aa]   #0 /bin/prog+0x10 \n"
    "[bisect-match 0x00000000000000aa] timerbisect stats arms=1 rearms=0 short=1\n"
    "[bisect-match 0x00000000000000aa] timerbisect site poll mode=native\n"
    "[bisect-match 0x00000000000000aa]   #0 /bin/prog+0x10 \n"
    "[bisect-match 0x00000000000000aa] timerbisect stats arms=2 rearms=5 short=2\n"
    "[bisect-match 0x00000000000000bb] timerbisect site timerfd_create mode=native\n"
    "[bisect-match 0x00000000000000bb] timerbisect stats arms=2 rearms=1 short=0\n"
    "[bisect-match 0x00000000000000bb] timerbisect open timerfd armed=1\n"
    "[bisect-match 0x00000000000000bb] timerbisect open timerfd armed=0\n"
    "[bisect-match 0x00000000000000cc] timerbisect site timer_create mode=native\n"
    "[bisect-match 0x00000000000000cc] timerbisect open posix_timer armed=1\n";

TEST(CliSitesReports, StatsOfEveryProcessAddUp) {
  report::ReportCollector c;
  c.Add(kWatchReport);
  const report::SiteReport& polls = c.sites().at(0xaa);
  EXPECT_EQ(polls.api, "poll");
  EXPECT_EQ(polls.mode, "native");
  EXPECT_EQ(polls.frames.size(), 1u);
  EXPECT_TRUE(polls.has_counters);
  EXPECT_EQ(polls.counters.arms, 3u);
  EXPECT_EQ(polls.counters.rearms, 5u);
  EXPECT_EQ(polls.counters.short_timeouts, 3u);
  EXPECT_TRUE(polls.lines.empty());
  EXPECT_FALSE(c.sites().at(0xcc).has_counters);
}

TEST(CliSitesReports, OpenTimersAreCountedPerSite) {
  report::ReportCollector c;
  c.Add(kWatchReport);
  const report::OpenTimers& fds = c.sites().at(0xbb).open;
  EXPECT_EQ(fds.timerfds, 2);
  EXPECT_EQ(fds.timerfds_armed, 1);
  EXPECT_EQ(fds.posix_timers, 0);
  const report::OpenTimers& timers = c.sites().at(0xcc).open;
  EXPECT_EQ(timers.posix_timers, 1);
  EXPECT_EQ(timers.posix_timers_armed, 1);
  EXPECT_FALSE(c.sites().at(0xaa).open.any());
}

TEST(CliSitesReports, MalformedWatchLinesStayText) {
  report::ReportCollector c;
  c.Add(
      "[bisect-match 0x00000000000000aa] timerbisect stats arms=x rearms=0 short=0\n"
      "[bisect-match 0x00000000000000aa] timerbisect open socket armed=1\n"
      "[bisect-match 0x00000000000000aa] timerbisect site poll mode=old\n");
  const report::SiteReport& site = c.sites().at(0xaa);
  EXPECT_FALSE(site.has_counters);
  EXPECT_FALSE(site.open.any());
  EXPECT_EQ(site.lines.size(), 2u);
  EXPECT_EQ(site.mode, "old");
}

}  // namespace
}  // namespace timerbisect::testing
