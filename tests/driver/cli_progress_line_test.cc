// Progress lines say old/new (or enabled/disabled) instead of raw patterns,
// with elapsed time and an estimate of the time left.
#include <gtest/gtest.h>

#include "progress_line.h"

namespace timerbisect::cmd {
namespace {

TEST(ProgressLine, PatternsInWords) {
  EXPECT_EQ(DescribePattern("y", true), "all sites new");
  EXPECT_EQ(DescribePattern("n", true), "all sites old");
  EXPECT_EQ(DescribePattern("!y", true), "all sites old");
  EXPECT_EQ(DescribePattern("vx741113b201ea676f", true), "1 site new, the rest old");
  EXPECT_EQ(DescribePattern("+x65a+x1f3", true), "2 sites new, the rest old");
  EXPECT_EQ(DescribePattern("!+x65a+x1f3", true), "2 sites old, the rest new");
  EXPECT_EQ(DescribePattern("y-x65a", true), "a subset of sites new, the rest old");
  EXPECT_EQ(DescribePattern("y", false), "all changes enabled");
  EXPECT_EQ(DescribePattern("x65a", false), "1 change enabled, the rest disabled");
}

TEST(ProgressLine, Clock) {
  EXPECT_EQ(FormatClock(std::chrono::seconds(7)), "0:07");
  EXPECT_EQ(FormatClock(std::chrono::seconds(750)), "12:30");
  EXPECT_EQ(FormatClock(std::chrono::seconds(3723)), "1:02:03");
}

TEST(ProgressLine, PatternOnlyWhenVerbose) {
  search::ProgressEvent e{3, "vx65a", true, 3, 4};
  std::string quiet = ProgressLine(true, false).Format(e);
  EXPECT_EQ(quiet.find("vx65a"), std::string::npos) << quiet;
  EXPECT_NE(quiet.find("probe 3 (3 suspected): 1 site new, the rest old: FAIL, ~4 more"),
            std::string::npos)
      << quiet;
  EXPECT_NE(quiet.find(" elapsed"), std::string::npos) << quiet;
  EXPECT_NE(ProgressLine(true, true).Format(e).find("(pattern vx65a)"), std::string::npos);
}

TEST(ProgressLine, ARunTakenAgainSaysSo) {
  search::ProgressEvent e{1, "y", true, 0, 9, false, true};
  std::string line = ProgressLine(true, false).Format(e);
  EXPECT_NE(line.find("probe 1: all sites new: FAIL (an earlier run of it, not run again), ~9"),
            std::string::npos)
      << line;
}

TEST(ProgressLine, ARunFromTheJournalSaysSo) {
  search::ProgressEvent e{1, "y", true, 0, 9, false, false, true};
  std::string line = ProgressLine(true, false).Format(e);
  EXPECT_NE(line.find("probe 1: all sites new: FAIL (from the journal, not run again), ~9"),
            std::string::npos)
      << line;
  e.check = true;
  line = ProgressLine(true, false).Format(e);
  EXPECT_NE(line.find("check run 1: all sites new: FAIL (from the journal, not run again);"),
            std::string::npos)
      << line;
}

TEST(ProgressLine, ACheckRunHasItsOwnWordsAndNoEstimate) {
  search::ProgressEvent e{2, "+x65a+x1f3", true, 0, 0, true};
  EXPECT_EQ(
      ProgressLine(true, false)
          .Format(e)
          .rfind("timerbisect: check run 2: 2 sites new, the rest old: FAIL; 0:00 elapsed\n", 0),
      0u)
      << ProgressLine(true, false).Format(e);
}

}  // namespace
}  // namespace timerbisect::cmd
