// Watch mode (TIMERSEM=watch): every site keeps native semantics, is
// reported once per process with its frames, and each process writes its
// per-site counters and its still-open timers at exit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/marker.h"
#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

// What the report says about one site, read straight from its lines.
struct WatchedSite {
  std::vector<std::string> apis;    // one per "timerbisect site API mode=..." line
  std::vector<std::string> modes;   // "mode=" of each of those lines
  std::vector<std::string> frame0;  // "#0 ..." frame lines
  int frame_lines = 0;
  std::vector<std::string> stats;  // "arms=N rearms=N short=N", one per process
  std::vector<std::string> open;   // "timerfd armed=1", ...
};

std::map<std::uint64_t, WatchedSite> ParseReport(const std::string& report) {
  std::map<std::uint64_t, WatchedSite> sites;
  std::istringstream in(report);
  for (std::string line; std::getline(in, line);) {
    auto cut = protocol::CutMarker(line);
    if (!cut.found) continue;
    WatchedSite& site = sites[cut.id];
    std::string rest = cut.Short();
    rest.erase(0, rest.find_first_not_of(' '));
    auto after = [&](const std::string& prefix) { return rest.substr(prefix.size()); };
    if (rest.rfind("timerbisect site ", 0) == 0) {
      std::string words = after("timerbisect site ");
      site.apis.push_back(words.substr(0, words.find(' ')));
      std::string mode = words.substr(words.find("mode=") + 5);
      site.modes.push_back(mode.substr(0, mode.find(' ')));
    } else if (rest.rfind("timerbisect stats ", 0) == 0) {
      site.stats.push_back(after("timerbisect stats "));
    } else if (rest.rfind("timerbisect open ", 0) == 0) {
      site.open.push_back(after("timerbisect open "));
    } else if (rest.rfind("#", 0) == 0) {
      ++site.frame_lines;
      if (rest.rfind("#0 ", 0) == 0) site.frame0.push_back(rest);
    }
  }
  return sites;
}

// The one site whose reports name `api`; fails the test unless exactly one.
const WatchedSite* SiteOf(const std::map<std::uint64_t, WatchedSite>& sites, const std::string& api,
                          int nth = 0) {
  int seen = 0;
  for (const auto& [id, site] : sites) {
    if (!site.apis.empty() && site.apis[0] == api && seen++ == nth) return &site;
  }
  ADD_FAILURE() << "no site number " << nth << " for " << api;
  return nullptr;
}

int CountApi(const std::map<std::uint64_t, WatchedSite>& sites, const std::string& api) {
  return static_cast<int>(std::count_if(sites.begin(), sites.end(), [&](const auto& entry) {
    return !entry.second.apis.empty() && entry.second.apis[0] == api;
  }));
}

// TIMERSEM_SHORT=5ms makes the 1 ms polls short.
ShimRun RunWatch(const std::string& behaviour, const std::string& timersem = "watch",
                 std::map<std::string, std::string> env = {}) {
  env["TIMERSEM"] = timersem;
  env.emplace("TIMERSEM_SHORT", "5ms");
  ShimRun run = RunUnderShim("shim_watch", {behaviour}, env);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run;
}

TEST(ShimWatch, KeepsNativeSemantics) {
  ShimRun run = RunWatch("timers");
  // The kernel discards a timerfd's expiration on re-arm; old mode would not.
  EXPECT_EQ(Field(run.out, "stale"), "0");
  EXPECT_EQ(Field(RunWatch("timers", "old").out, "stale"), "1");
  // New mode would return from a short poll at once; a native poll never
  // returns before its timeout.
  EXPECT_GE(std::stoll(Field(run.out, "poll_min_ns")), 1'000'000);
}

TEST(ShimWatch, ReportsEverySiteOnceWithFrames) {
  ShimRun run = RunWatch("timers");
  auto sites = ParseReport(run.report);
  EXPECT_EQ(CountApi(sites, "timerfd_create"), 2);
  EXPECT_EQ(CountApi(sites, "poll"), 1);
  EXPECT_EQ(CountApi(sites, "timer_create"), 2);
  EXPECT_EQ(sites.size(), 5u) << run.report;
  for (const auto& [id, site] : sites) {
    ASSERT_EQ(site.apis.size(), 1u) << "reported once per process: " << run.report;
    EXPECT_EQ(site.modes[0], "native");
    ASSERT_EQ(site.frame0.size(), 1u) << run.report;
    EXPECT_NE(site.frame0[0].find("prog_shim_watch+0x"), std::string::npos) << site.frame0[0];
    EXPECT_GE(site.frame_lines, 2);
  }
}

TEST(ShimWatch, CountsArmsRearmsAndShortTimeouts) {
  auto sites = ParseReport(RunWatch("timers").report);
  // Which timerfd site is the armed one: the other one was never armed.
  const WatchedSite* a = SiteOf(sites, "timerfd_create", 0);
  const WatchedSite* b = SiteOf(sites, "timerfd_create", 1);
  ASSERT_TRUE(a && b);
  if (a->stats == std::vector<std::string>{"arms=0 rearms=0 short=0"}) std::swap(a, b);
  EXPECT_EQ(a->stats, std::vector<std::string>{"arms=2 rearms=1 short=1"});
  EXPECT_EQ(b->stats, std::vector<std::string>{"arms=0 rearms=0 short=0"});
  const WatchedSite* polls = SiteOf(sites, "poll");
  ASSERT_TRUE(polls);
  EXPECT_EQ(polls->stats, std::vector<std::string>{"arms=3 rearms=0 short=3"});
  for (int i = 0; i < 2; ++i) {
    const WatchedSite* t = SiteOf(sites, "timer_create", i);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->stats, std::vector<std::string>{"arms=1 rearms=0 short=0"});
  }
}

TEST(ShimWatch, ShortFollowsTheThreshold) {
  // With the default 50us threshold the 1 ms polls are not short; the
  // 10 us timerfd arming still is.
  auto sites = ParseReport(RunWatch("timers", "watch", {{"TIMERSEM_SHORT", "50us"}}).report);
  const WatchedSite* polls = SiteOf(sites, "poll");
  ASSERT_TRUE(polls);
  EXPECT_EQ(polls->stats, std::vector<std::string>{"arms=3 rearms=0 short=0"});
}

TEST(ShimWatch, ListsTimersStillOpenAtExit) {
  auto sites = ParseReport(RunWatch("timers").report);
  std::vector<std::string> open;
  for (const auto& [id, site] : sites) {
    for (const auto& o : site.open) open.push_back(site.apis[0] + " " + o);
  }
  std::sort(open.begin(), open.end());
  // The 10 s timerfd and the 10 s POSIX timer; not the closed timerfd nor
  // the deleted timer.
  EXPECT_EQ(open, (std::vector<std::string>{"timer_create posix_timer armed=1",
                                            "timerfd_create timerfd armed=1"}));
}

TEST(ShimWatch, ForkedChildReportsItsOwnSitesAndCounts) {
  // Depth 1: the site is the poll call itself, whichever caller reaches it
  // before and after the fork.
  ShimRun run = RunWatch("fork", "watch", {{"TIMERSEM_DEPTH", "1"}});
  EXPECT_EQ(Field(run.out, "child_status"), "0");
  auto sites = ParseReport(run.report);
  const WatchedSite* polls = SiteOf(sites, "poll");
  ASSERT_TRUE(polls);
  // Parent and child each report the site, with its frames.
  EXPECT_EQ(polls->apis.size(), 2u) << run.report;
  EXPECT_EQ(polls->frame0.size(), 2u);
  // Each counts its own calls: 1 before the fork in the parent, 2 in the child.
  std::vector<std::string> stats = polls->stats;
  std::sort(stats.begin(), stats.end());
  EXPECT_EQ(stats,
            (std::vector<std::string>{"arms=1 rearms=0 short=1", "arms=2 rearms=0 short=2"}));
  // The inherited timerfd is the parent's: only the parent lists it.
  const WatchedSite* timerfd = SiteOf(sites, "timerfd_create");
  ASSERT_TRUE(timerfd);
  EXPECT_EQ(timerfd->open, std::vector<std::string>{"timerfd armed=1"});
  EXPECT_EQ(timerfd->stats, std::vector<std::string>{"arms=1 rearms=0 short=0"});
}

TEST(ShimWatch, ExitFromAnotherThreadWritesTheCounters) {
  auto sites = ParseReport(RunWatch("thread_exit").report);
  const WatchedSite* polls = SiteOf(sites, "poll");
  ASSERT_TRUE(polls);
  EXPECT_EQ(polls->stats, std::vector<std::string>{"arms=1 rearms=0 short=1"});
}

TEST(ShimWatch, SitesOutOfScopeAreNeitherReportedNorCounted) {
  ShimRun run = RunWatch("timers", "watch", {{"TIMERSEM_SCOPE", "no-such-module"}});
  EXPECT_EQ(ReportedIds(run.report).size(), 0u) << run.report;
  EXPECT_EQ(Field(run.out, "stale"), "0");
}

TEST(ShimWatch, PatternsAreRejected) {
  ShimRun run = RunUnderShim("shim_watch", {"timers"}, {{"TIMERSEM", "watch#y"}});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.err.find("timerbisect: bad TIMERSEM"), std::string::npos) << run.err;
  EXPECT_EQ(ReportedIds(run.report).size(), 0u);
}

}  // namespace
}  // namespace timerbisect::testing
