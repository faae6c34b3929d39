// lib/report/sites_report.h: `timerbisect sites`' listing as text and JSON,
// from hand-made site reports and frames (no run, no symbolizer).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "report/sites_report.h"

namespace timerbisect::report {
namespace {

using symbolize::SourceFrame;

SourceFrame Frame(std::string function, std::string file, int line, bool inlined = false) {
  SourceFrame f;
  f.function = std::move(function);
  f.file = std::move(file);
  f.line = line;
  f.inlined = inlined;
  return f;
}

SiteReport Site(std::uint64_t id, const char* api, std::uint64_t arms, std::uint64_t rearms,
                std::uint64_t short_timeouts) {
  SiteReport r;
  r.id = id;
  r.api = api;
  r.has_counters = true;
  r.counters = {arms, rearms, short_timeouts};
  return r;
}

TEST(IsBisectSite, TimersAlwaysWaitsOnlyWhenShortOrUncounted) {
  SiteReport timer = Site(1, "timerfd_create", 3, 0, 0);
  EXPECT_TRUE(IsBisectSite(timer));
  SiteReport wait = Site(2, "nanosleep", 3, 0, 0);
  wait.wait = true;
  EXPECT_FALSE(IsBisectSite(wait));  // always longer than --short
  wait.counters.short_timeouts = 1;
  EXPECT_TRUE(IsBisectSite(wait));
  wait.counters.short_timeouts = 0;
  wait.has_counters = false;
  EXPECT_TRUE(IsBisectSite(wait));  // not counted: cannot tell
}

// One of each kind the text tells apart.
struct Fixture {
  SiteReport unknown = Site(5, "", 1, 0, 0);
  SiteReport long_wait = Site(3, "clock_nanosleep", 4, 0, 0);
  SiteReport uncounted;
  SiteReport busy = Site(1, "timerfd_create", 9, 8, 7);
  SiteReport quiet = Site(2, "timerfd_create", 5, 3, 1);
  SitesListing listing;

  Fixture() {
    long_wait.wait = true;
    uncounted.id = 4;
    uncounted.api = "nanosleep";
    uncounted.wait = true;
    busy.open = {1, 1, 0, 0};
    quiet.open = {2, 1, 1, 1};
    std::vector<SourceFrame> ten;
    for (int i = 0; i < 10; ++i) ten.push_back(Frame("f" + std::to_string(i), "d.c", i + 1));
    listing.command = {"./t", "a b"};
    listing.result = "exit 3";
    listing.io_uring_pids = {42};
    // Given in no particular order: SortSites orders them.
    listing.sites = {
        {&quiet, {Frame("asio::steady_timer::wait", "app.cc", 7)}},
        {&busy,
         {Frame("boost::asio::detail::epoll_reactor::run",
                "/usr/include/boost/asio/detail/impl/epoll_reactor.ipp", 100, true),
          Frame("main", "app.cc", 5)}},
        {&uncounted, ten},
        {&long_wait, {Frame("sleep_loop", "app.c", 20)}},
        {&unknown, {}},
    };
    SortSites(listing.sites);
    FindHeaderOnlyLoops(listing);
  }
};

TEST(SortSites, ByApiThenBusiestFirstThenId) {
  Fixture f;
  std::vector<std::uint64_t> ids;
  for (const ListedSite& s : f.listing.sites) ids.push_back(s.report->id);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{5, 3, 4, 1, 2}));
  SiteReport a = Site(9, "x", 2, 0, 0), b = Site(8, "x", 2, 0, 0);
  std::vector<ListedSite> tie = {{&a, {}}, {&b, {}}};
  SortSites(tie);
  EXPECT_EQ(tie[0].report->id, 8u);
}

TEST(FindHeaderOnlyLoops, OnePerLibraryAtItsFirstSite) {
  Fixture f;
  ASSERT_EQ(f.listing.header_only.size(), 2u);
  EXPECT_EQ(f.listing.header_only[0].library, "Boost.Asio");
  EXPECT_EQ(f.listing.header_only[0].site, 1u);
  EXPECT_EQ(f.listing.header_only[1].library, "Asio");
  EXPECT_EQ(f.listing.header_only[1].site, 2u);
  FindHeaderOnlyLoops(f.listing);  // again: nothing new
  EXPECT_EQ(f.listing.header_only.size(), 2u);
}

// Two timer calls on one line: their frames show the column, and only
// theirs.
TEST(SitesText, TwoSitesOnOneLineShowTheirColumns) {
  SiteReport a = Site(1, "timerfd_create", 1, 0, 0), b = Site(2, "timerfd_create", 1, 0, 0);
  SiteReport c = Site(3, "timerfd_create", 1, 0, 0);
  SourceFrame left = Frame("MakeTimers", "app.cc", 7), right = left, other = left;
  left.column = 4;
  right.column = 20;
  other.line = 9;
  other.column = 4;
  SitesListing listing;
  listing.result = "exit 0";
  listing.sites = {{&a, {left, Frame("main", "app.cc", 30)}},
                   {&b, {right, Frame("main", "app.cc", 30)}},
                   {&c, {other, Frame("main", "app.cc", 31)}}};
  std::string text = FormatText(listing);
  const std::string mark = "   <- first frame in your code\n";
  EXPECT_NE(text.find("    #0 MakeTimers app.cc:7:4" + mark + "    #1 main app.cc:30\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    #0 MakeTimers app.cc:7:20" + mark), std::string::npos) << text;
  EXPECT_NE(text.find("    #0 MakeTimers app.cc:9" + mark), std::string::npos) << text;
  // And where their timers are left armed at exit.
  a.open = {1, 0, 0, 0};
  b.open = {1, 0, 0, 0};
  text = FormatText(listing);
  EXPECT_NE(text.find("    at MakeTimers app.cc:7:4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    at MakeTimers app.cc:7:20\n"), std::string::npos) << text;
}

TEST(SitesText, EveryKindOfSiteAndEveryNote) {
  Fixture f;
  EXPECT_EQ(
      FormatText(f.listing),
      "timerbisect: 4 timer sites reached in one run (exit 3)\n"
      "\n"
      "(unknown API): 1 site\n"
      "  site 0x0000000000000005  arms 1  re-arms 0  short 0\n"
      "\n"
      "nanosleep: 1 site\n"
      "  site 0x0000000000000004  (not counted)\n"
      "    #0 f0 d.c:1   <- first frame in your code\n"
      "    #1 f1 d.c:2\n"
      "    #2 f2 d.c:3\n"
      "    #3 f3 d.c:4\n"
      "    #4 f4 d.c:5\n"
      "    #5 f5 d.c:6\n"
      "    #6 f6 d.c:7\n"
      "    #7 f7 d.c:8\n"
      "    ... 2 more frames (--json)\n"
      "\n"
      "timerfd_create: 2 sites\n"
      "  site 0x0000000000000001  arms 9  re-arms 8  short 7\n"
      "    #0 (inlined) boost::asio::detail::epoll_reactor::run "
      "/usr/include/boost/asio/detail/impl/epoll_reactor.ipp:100\n"
      "    #1 main app.cc:5   <- first frame in your code\n"
      "  site 0x0000000000000002  arms 5  re-arms 3  short 1\n"
      "    #0 asio::steady_timer::wait app.cc:7   <- first frame in your code\n"
      "\n"
      "1 more call site only waited longer than the short threshold (--short): no mode changes "
      "such waits, so they are not sites (raise --short to include them):\n"
      "  clock_nanosleep x4  at sleep_loop app.c:20\n"
      "\n"
      "timers still armed or never closed at exit:\n"
      "  site 0x0000000000000001  timerfd_create: 1 timerfd never closed (1 armed)\n"
      "    at main app.cc:5\n"
      "  site 0x0000000000000002  timerfd_create: 2 timerfds never closed (1 armed), 1 POSIX "
      "timer never deleted (1 armed)\n"
      "    at asio::steady_timer::wait app.cc:7\n"
      "\n"
      "note: process 42 used io_uring: a timeout given to io_uring (IORING_OP_TIMEOUT, a wait for "
      "completions with a timeout) bypasses libc, so it is no site and no mode changes it; their "
      "other timers are sites as usual\n"
      "\n"
      "note: a Boost.Asio loop was seen (site 0x0000000000000001): its timers are a header-only "
      "timer queue compiled into the program, which the shim cannot interpose; its site is the "
      "loop's timerfd or wait, and the stack shows which line built the loop\n"
      "\n"
      "note: an Asio loop was seen (site 0x0000000000000002): its timers are a header-only timer "
      "queue compiled into the program, which the shim cannot interpose; its site is the loop's "
      "timerfd or wait, and the stack shows which line built the loop\n"
      "\n"
      "note: sites marked (not counted) were reached only by processes that did not exit through "
      "exit() (_exit, exec, a crash, the timeout): their counts and open timers are unknown\n");
}

// A std:: wait is often nine frames of libstdc++ deep: the text shows every
// frame down to the first in the program's own code, marked as bisect's
// answer marks it, and a one-line mention of a site (a wait longer than
// --short) names that frame, not libstdc++'s (audit 28).
TEST(SitesText, DeepStacksShowAndNameTheFirstFrameInYourCode) {
  std::vector<SourceFrame> deep;
  for (int i = 0; i < 9; ++i) {
    deep.push_back(
        Frame("std::wait" + std::to_string(i), "/usr/include/c++/12/bits/w.h", i + 1, true));
  }
  std::vector<SourceFrame> other = deep;
  deep.push_back(Frame("Retry", "pool_test.cc", 92));
  deep.push_back(Frame("main", "pool_test.cc", 120));
  other.push_back(Frame("Backoff", "pool_test.cc", 223));
  SiteReport wait = Site(7, "futex_wait", 2, 0, 1);
  wait.wait = true;
  SiteReport long_wait = Site(8, "nanosleep", 3, 0, 0);
  long_wait.wait = true;
  SitesListing listing;
  listing.result = "pass";
  listing.sites = {{&wait, deep}, {&long_wait, other}};
  const std::string text = FormatText(listing);
  EXPECT_NE(text.find("    #9 Retry pool_test.cc:92   <- first frame in your code\n"
                      "    ... 1 more frame (--json)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  nanosleep x3  at Backoff pool_test.cc:223\n"), std::string::npos) << text;
  EXPECT_EQ(ToJson(listing)["sites"][0]["first_user_frame"], 9);
}

// A site not counted (its process was killed by the timeout) may have left
// timers open: "none" would claim more than is known.
TEST(SitesText, NoOpenTimersKnownWhenASiteWasNotCounted) {
  SiteReport uncounted;
  uncounted.id = 4;
  uncounted.api = "nanosleep";
  uncounted.wait = true;
  SitesListing l;
  l.result = "timeout";
  l.sites = {{&uncounted, {}}};
  std::string text = FormatText(l);
  EXPECT_NE(text.find("timers still armed or never closed at exit:\n  none known (some sites "
                      "were not counted: see the note below)\n"),
            std::string::npos)
      << text;
}

// A program started without the shim has timers the listing cannot show:
// said in the text and kept in the JSON.
TEST(SitesText, AProgramStartedWithoutTheShimIsNamed) {
  SitesListing l;
  l.result = "pass";
  l.dropped_execs = {"/usr/bin/env -i ./worker"};
  EXPECT_NE(FormatText(l).find("\nnote: the shim was dropped when /usr/bin/env -i ./worker was "
                               "started (a cleared environment, or a program LD_PRELOAD cannot "
                               "reach): its timer sites are not listed; pass LD_PRELOAD and "
                               "TIMERSEM* through to it\n"),
            std::string::npos)
      << FormatText(l);
  EXPECT_EQ(ToJson(l)["dropped_execs"], nlohmann::json({"/usr/bin/env -i ./worker"}));
}

// A program with an event-loop library compiled in: its timers are not
// sites, and the listing says so (the sentence is run::LinkedInLoopsSentence).
TEST(SitesText, LoopLibrariesCompiledInAreNamed) {
  SitesListing listing;
  listing.result = "pass";
  listing.linked_in_loops = {"libuv"};
  listing.linked_in_note = "./t has libuv compiled in";
  EXPECT_NE(FormatText(listing).find("\nnote: ./t has libuv compiled in\n"), std::string::npos);
  EXPECT_EQ(ToJson(listing)["linked_in_loop_libraries"], nlohmann::json({"libuv"}));
}

// A test runner's many processes with io_uring get one note, not one each
// (libuv's runner printed ten; audit 27).
TEST(SitesText, ProcessesWithIoUringShareOneNote) {
  SitesListing listing;
  listing.result = "pass";
  listing.io_uring_pids = {7, 8, 9};
  const std::string text = FormatText(listing);
  EXPECT_NE(text.find("\nnote: processes 7, 8 and 9 used io_uring: "), std::string::npos) << text;
  std::size_t notes = 0;
  for (auto at = text.find("note:"); at != std::string::npos; at = text.find("note:", at + 1))
    ++notes;
  EXPECT_EQ(notes, 1u) << text;
}

TEST(SitesText, NoSites) {
  SitesListing empty;
  empty.result = "pass";
  EXPECT_EQ(FormatText(empty),
            "timerbisect: 0 timer sites reached in one run (pass)\n"
            "\n"
            "timers still armed or never closed at exit:\n"
            "  none\n");
  EXPECT_EQ(ToJson(empty).dump(),
            R"({"command":[],"dropped_execs":[],"duration_ms":0,"header_only_timer_queues":[],)"
            R"("io_uring_pids":[],"linked_in_loop_libraries":[],)"
            R"("open_at_exit":[],"result":"pass","schema_version":2,"sites":[]})");
}

TEST(SitesJson, EverySiteWithAllItsFramesAndTheOpenOnesAgain) {
  Fixture f;
  nlohmann::json j = ToJson(f.listing);
  EXPECT_EQ(j["command"], nlohmann::json({"./t", "a b"}));
  EXPECT_EQ(j["result"], "exit 3");
  EXPECT_EQ(j["io_uring_pids"], nlohmann::json({42}));
  EXPECT_EQ(j["header_only_timer_queues"].dump(),
            R"([{"library":"Boost.Asio","site":"0x0000000000000001"},)"
            R"({"library":"Asio","site":"0x0000000000000002"}])");
  ASSERT_EQ(j["sites"].size(), 5u);
  const nlohmann::json& uncounted = j["sites"][2];
  EXPECT_EQ(uncounted["id"], "0x0000000000000004");
  EXPECT_EQ(uncounted["api"], "nanosleep");
  EXPECT_EQ(uncounted["counted"], false);
  EXPECT_EQ(uncounted["bisect_site"], true);
  EXPECT_EQ(uncounted["frames"].size(), 10u);  // the text shows 8
  const nlohmann::json& long_wait = j["sites"][1];
  EXPECT_EQ(long_wait["bisect_site"], false);
  const nlohmann::json& quiet = j["sites"][4];
  EXPECT_EQ(quiet.dump(),
            R"({"api":"timerfd_create","arms":5,"bisect_site":true,"counted":true,)"
            R"("first_user_frame":0,)"
            R"("frames":[{"column":0,"file":"app.cc","function":"asio::steady_timer::wait",)"
            R"("inlined":false,"line":7,"module":"","offset":"0x0000000000000000"}],)"
            R"("id":"0x0000000000000002","open":{"posix_timers":1,)"
            R"("posix_timers_armed":1,"timerfds":2,"timerfds_armed":1},"rearms":3,"short":1})");
  ASSERT_EQ(j["open_at_exit"].size(), 2u);
  EXPECT_EQ(j["open_at_exit"][0]["id"], "0x0000000000000001");
  EXPECT_EQ(j["open_at_exit"][0]["open"].dump(),
            R"({"posix_timers":0,"posix_timers_armed":0,"timerfds":1,"timerfds_armed":1})");
  EXPECT_EQ(j["open_at_exit"][1]["id"], "0x0000000000000002");
  EXPECT_EQ(j["open_at_exit"][1]["api"], "timerfd_create");
  EXPECT_EQ(j["open_at_exit"][1]["frames"], quiet["frames"]);
}

}  // namespace
}  // namespace timerbisect::report
