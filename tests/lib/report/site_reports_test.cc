// lib/report/site_reports.h: the report lines a target writes, read back
// into sites, from hand-written lines in the shim's and other targets' form.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "report/site_reports.h"

namespace timerbisect::report {
namespace {

TEST(ReportCollector, ReadsTheShimsSiteFrameStatsAndOpenLines) {
  ReportCollector c;
  c.Add(
      "timerbisect: shim active pid=7\n"
      "[bisect-match 0x00000000000000a1] timerbisect site timerfd_create mode=new kind=timer\n"
      "[bisect-match 0x00000000000000a1]   #0 /usr/lib/libc.so.6+0x1f00 timerfd_create\n"
      "[bisect-match 0x00000000000000a1]   #1 /opt/app+0x20 \n"
      "[bisect-match 0x00000000000000a1]   #0 /usr/lib/libc.so.6+0x1f00 timerfd_create\n"
      "[bisect-match 0x00000000000000b2] timerbisect site nanosleep mode=native kind=wait\r\n"
      "[bisect-match 0x00000000000000b2] timerbisect stats arms=3 rearms=1 short=2\n"
      "[bisect-match 0x00000000000000b2] timerbisect stats arms=4 rearms=0 short=0\n"
      "[bisect-match 0x00000000000000a1] timerbisect open timerfd armed=1\n"
      "[bisect-match 0x00000000000000a1] timerbisect open timerfd armed=0\n"
      "[bisect-match 0x00000000000000a1] timerbisect open posix_timer armed=1\n"
      "[bisect-match 0x00000000000000c3] timerbisect site uv_timer_start mode=new kind=timer "
      "caller=callback\n"
      "an ordinary line of output\n");
  EXPECT_TRUE(c.shim_announced());
  EXPECT_EQ(c.Ids(), (std::set<std::uint64_t>{0xa1, 0xb2, 0xc3}));

  const SiteReport& a = c.sites().at(0xa1);
  EXPECT_EQ(a.id, 0xa1u);
  EXPECT_EQ(a.api, "timerfd_create");
  EXPECT_EQ(a.mode, "new");
  EXPECT_FALSE(a.wait);
  EXPECT_FALSE(a.callback_first);
  ASSERT_EQ(a.frames.size(), 2u);  // #0 again (another process) is kept once
  EXPECT_EQ(a.frames[0].module, "/usr/lib/libc.so.6");
  EXPECT_EQ(a.frames[0].offset, 0x1f00u);
  EXPECT_EQ(a.frames[0].symbol, "timerfd_create");
  EXPECT_EQ(a.frames[1].module, "/opt/app");
  EXPECT_EQ(a.frames[1].offset, 0x20u);
  EXPECT_EQ(a.frames[1].symbol, "");
  EXPECT_FALSE(a.has_counters);
  EXPECT_EQ(a.open.timerfds, 2);
  EXPECT_EQ(a.open.timerfds_armed, 1);
  EXPECT_EQ(a.open.posix_timers, 1);
  EXPECT_EQ(a.open.posix_timers_armed, 1);
  EXPECT_TRUE(a.lines.empty());

  const SiteReport& b = c.sites().at(0xb2);
  EXPECT_EQ(b.api, "nanosleep");
  EXPECT_EQ(b.mode, "native");
  EXPECT_TRUE(b.wait);
  EXPECT_TRUE(b.has_counters);  // summed over the two processes
  EXPECT_EQ(b.counters.arms, 7u);
  EXPECT_EQ(b.counters.rearms, 1u);
  EXPECT_EQ(b.counters.short_timeouts, 2u);
  EXPECT_FALSE(b.open.any());

  // A timer armed in a callback's tail call: frames[0] is the callback.
  const SiteReport& tail = c.sites().at(0xc3);
  EXPECT_EQ(tail.api, "uv_timer_start");
  EXPECT_TRUE(tail.callback_first);
}

// A CI workspace's path may hold spaces: the module is everything up to the
// "+0x" offset before the last space (the shim writes that space even with
// no symbol), and the symbol the word after it.
TEST(ReportCollector, AModulePathWithSpacesKeepsItsFrames) {
  ReportCollector c;
  c.Add(
      "[bisect-match 0x00000000000000a1] timerbisect site timerfd_create mode=new kind=timer\n"
      "[bisect-match 0x00000000000000a1]   #0 /usr/lib/libc.so.6+0x1f00 timerfd_create\n"
      "[bisect-match 0x00000000000000a1]   #1 /builds/my project/sp ace/t+0x1300 NewTimer\n"
      "[bisect-match 0x00000000000000a1]   #2 /builds/my project/t 2+0x40 \n"
      "[bisect-match 0x00000000000000a1]   #3 /builds/a+0x1 b/t+0x50 \n");
  const SiteReport& a = c.sites().at(0xa1);
  ASSERT_EQ(a.frames.size(), 4u);
  EXPECT_EQ(a.frames[1].module, "/builds/my project/sp ace/t");
  EXPECT_EQ(a.frames[1].offset, 0x1300u);
  EXPECT_EQ(a.frames[1].symbol, "NewTimer");
  EXPECT_EQ(a.frames[2].module, "/builds/my project/t 2");
  EXPECT_EQ(a.frames[2].offset, 0x40u);
  EXPECT_EQ(a.frames[2].symbol, "");
  EXPECT_EQ(a.frames[3].module, "/builds/a+0x1 b/t");
  EXPECT_EQ(a.frames[3].offset, 0x50u);
  EXPECT_EQ(a.frames[3].symbol, "");
}

TEST(ReportCollector, KeepsOtherTargetsLinesWithoutTheMarkerOnce) {
  ReportCollector c;
  c.Add("change 3 [bisect-match 0x65a] enabled\n");
  c.Add("change 3 [bisect-match 0x65a] enabled\n[bisect-match 0x65a]\n");
  c.Add("[bisect-match 0x65a] timerbisect stats arms=x rearms=1 short=1");  // no newline
  EXPECT_FALSE(c.shim_announced());
  ASSERT_EQ(c.sites().size(), 1u);
  const SiteReport& s = c.sites().at(0x65a);
  EXPECT_EQ(s.api, "");
  EXPECT_FALSE(s.has_counters);
  EXPECT_EQ(s.lines, (std::vector<std::string>{"change 3 enabled",
                                               "timerbisect stats arms=x rearms=1 short=1"}));
}

TEST(ReportCollector, DroppedExecsAndIoUringProcesses) {
  ReportCollector c;
  c.Add(
      "timerbisect: shim dropped pid=9 exec=/usr/bin/env missing=LD_PRELOAD,TIMERSEM\n"
      "timerbisect: shim dropped pid=10 exec=/usr/bin/env missing=LD_PRELOAD,TIMERSEM\n"
      "timerbisect: shim dropped pid=11 exec=/bin/a b missing=TIMERSEM\n"
      "timerbisect: shim dropped pid=12 nonsense\n"
      "timerbisect: shim dropped pid=13 exec=/bin/c changed=TIMERSEM,TIMERSEM_DEPTH\n"
      "timerbisect: shim dropped pid=14 exec=/bin/d e missing=LD_PRELOAD changed=TIMERSEM\n"
      "timerbisect: io_uring pid=31 rings=1\n"
      "timerbisect: io_uring pid=30\n");
  EXPECT_EQ(c.dropped_execs(),
            (std::set<std::string>{"/usr/bin/env (missing LD_PRELOAD,TIMERSEM)",
                                   "/bin/a b (missing TIMERSEM)",
                                   "/bin/c (changed TIMERSEM,TIMERSEM_DEPTH)",
                                   "/bin/d e (missing LD_PRELOAD; changed TIMERSEM)"}));
  EXPECT_EQ(c.io_uring_pids(), (std::set<int>{30, 31}));
  EXPECT_TRUE(c.sites().empty());
}

// A program that tries each directory of PATH (Python's subprocess does)
// reports each failed exec, then voids it: only the one that started
// remains. A failed exec voids the last report of the same process and
// path only.
TEST(ReportCollector, AnExecThatFailedIsNotADroppedExec) {
  ReportCollector c;
  c.Add(
      "timerbisect: shim dropped pid=9 exec=/usr/local/bin/t missing=LD_PRELOAD\n"
      "timerbisect: exec failed pid=9 exec=/usr/local/bin/t\n"
      "timerbisect: shim dropped pid=9 exec=/usr/bin/t x missing=LD_PRELOAD\n"
      "timerbisect: shim dropped pid=10 exec=/bin/u missing=TIMERSEM\n"
      "timerbisect: exec failed pid=11 exec=/bin/u\n"
      "timerbisect: exec failed pid=12 nonsense\n");
  EXPECT_EQ(c.dropped_execs(), (std::set<std::string>{"/usr/bin/t x (missing LD_PRELOAD)",
                                                      "/bin/u (missing TIMERSEM)"}));
}

}  // namespace
}  // namespace timerbisect::report
