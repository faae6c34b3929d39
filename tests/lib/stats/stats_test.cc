// lib/stats: exact values of the rate estimates, and the sequential test's
// verdicts on clear, close and background-rate cases.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "stats/compare.h"
#include "stats/rate.h"

namespace timerbisect::stats {
namespace {

TEST(Stats, NormalQuantile_MatchesTable) {
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.995), 2.5758293035489, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.025), -1.959963984540054, 1e-9);
}

TEST(Stats, BetaCdf_MatchesClosedForms) {
  // Beta(1, 1) is uniform; Beta(a, 1) has CDF x^a; Beta(2, 2) has 3x^2 - 2x^3.
  for (double x : {0.0, 0.1, 0.37, 0.5, 0.9, 1.0}) {
    EXPECT_NEAR(BetaCdf(x, 1, 1), x, 1e-12);
    EXPECT_NEAR(BetaCdf(x, 3, 1), x * x * x, 1e-12);
    EXPECT_NEAR(BetaCdf(x, 2, 2), 3 * x * x - 2 * x * x * x, 1e-12);
  }
  // Symmetry I_x(a, b) = 1 - I_{1-x}(b, a) at large parameters.
  EXPECT_NEAR(BetaCdf(0.3, 40, 90), 1 - BetaCdf(0.7, 90, 40), 1e-12);
  EXPECT_NEAR(BetaCdf(0.5, 50, 50), 0.5, 1e-12);
}

TEST(Stats, LogBeta_MatchesClosedForms) {
  EXPECT_NEAR(LogBeta(1, 1), 0, 1e-12);
  EXPECT_NEAR(LogBeta(0.5, 0.5), std::log(std::numbers::pi), 1e-12);
  EXPECT_NEAR(LogBeta(2, 3), std::log(1.0 / 12), 1e-12);
  EXPECT_NEAR(LogBeta(7, 4), LogBeta(4, 7), 1e-12);
}

TEST(Stats, PosteriorMean_IsLaplaceRule) {
  EXPECT_DOUBLE_EQ(PosteriorMean({0, 0}), 0.5);
  EXPECT_DOUBLE_EQ(PosteriorMean({3, 10}), 4.0 / 12.0);
  EXPECT_DOUBLE_EQ(PosteriorMean({10, 10}), 11.0 / 12.0);
}

TEST(Stats, WilsonInterval_MatchesReferenceValues) {
  // 5 of 10 at 95%: 0.5 -+ 0.2634 (Wilson 1927; R's prop.test without
  // continuity correction gives 0.2366 - 0.7634).
  Interval half = WilsonInterval({5, 10}, 0.95);
  EXPECT_NEAR(half.low, 0.236593, 1e-5);
  EXPECT_NEAR(half.high, 0.763407, 1e-5);
  // 0 of 20 at 95%: [0, z^2 / (n + z^2)].
  double z2 = 1.959963984540054 * 1.959963984540054;
  Interval none = WilsonInterval({0, 20}, 0.95);
  EXPECT_DOUBLE_EQ(none.low, 0.0);
  EXPECT_NEAR(none.high, z2 / (20 + z2), 1e-9);
  Interval all = WilsonInterval({20, 20}, 0.95);
  EXPECT_NEAR(all.low, 20 / (20 + z2), 1e-9);
  EXPECT_DOUBLE_EQ(all.high, 1.0);
  // Exactly 0 and 1 at the ends, never rounding noise (0 of 8 at 99% once
  // gave 2.8e-17, which triage's JSON printed).
  for (double runs = 1; runs <= 64; ++runs) {
    EXPECT_EQ(WilsonInterval({0, runs}, 0.99).low, 0.0) << runs;
    EXPECT_EQ(WilsonInterval({runs, runs}, 0.99).high, 1.0) << runs;
  }
  Interval empty = WilsonInterval({0, 0}, 0.99);
  EXPECT_EQ(empty.low, 0.0);
  EXPECT_EQ(empty.high, 1.0);
}

TEST(Stats, WilsonInterval_WidensWithConfidenceAndNarrowsWithRuns) {
  Interval i95 = WilsonInterval({20, 100}, 0.95), i99 = WilsonInterval({20, 100}, 0.99);
  EXPECT_LT(i99.low, i95.low);
  EXPECT_GT(i99.high, i95.high);
  Interval more = WilsonInterval({200, 1000}, 0.95);
  EXPECT_GT(more.low, i95.low);
  EXPECT_LT(more.high, i95.high);
}

TEST(Stats, BetaInterval_HoldsTheAskedMass) {
  // 0 of 9: Beta(1, 10), CDF 1 - (1 - x)^10, so the quantiles are closed form.
  Interval in = BetaInterval({0, 9}, 0.9);
  EXPECT_NEAR(in.low, 1 - std::pow(0.95, 0.1), 1e-9);
  EXPECT_NEAR(in.high, 1 - std::pow(0.05, 0.1), 1e-9);
  Interval mid = BetaInterval({30, 60}, 0.99);
  EXPECT_NEAR(BetaCdf(mid.high, 31, 31) - BetaCdf(mid.low, 31, 31), 0.99, 1e-9);
  EXPECT_NEAR(mid.low + mid.high, 1.0, 1e-9);  // symmetric
}

TEST(Stats, CompareRates_DeterministicDifferenceIsSeenInAFewRuns) {
  CompareOptions options;
  // All fail against all pass: decided after a handful of runs, not one.
  EXPECT_EQ(CompareRates({1, 1}, {0, 1}, options).verdict, Verdict::kUndecided);
  Comparison c = CompareRates({8, 8}, {0, 8}, options);
  EXPECT_EQ(c.verdict, Verdict::kAHigher);
  EXPECT_NEAR(c.p_same + c.p_a_higher + c.p_b_higher, 1.0, 1e-12);
  EXPECT_EQ(CompareRates({0, 8}, {8, 8}, options).verdict, Verdict::kBHigher);
}

TEST(Stats, CompareRates_BackgroundFailuresOnThePassingSideAreNoContradiction) {
  // 50% against a 5% background: the passing side failing now and then
  // still leaves a clear difference.
  Comparison c = CompareRates({30, 60}, {3, 60}, {});
  EXPECT_EQ(c.verdict, Verdict::kAHigher);
}

TEST(Stats, CompareRates_EqualRatesEndSameNeverDifferent) {
  CompareOptions options;
  // 20% on both sides: too few runs to rule out a 10-point difference...
  EXPECT_EQ(CompareRates({4, 20}, {4, 20}, options).verdict, Verdict::kUndecided);
  // ...enough of them to.
  Comparison c = CompareRates({100, 500}, {100, 500}, options);
  EXPECT_EQ(c.verdict, Verdict::kSame);
  EXPECT_GT(c.p_same, 0.99);
  // A difference inside the indifference zone leans to "same".
  EXPECT_GT(CompareRates({110, 500}, {100, 500}, options).p_same, 0.5);
}

TEST(Stats, CompareRates_BothAlwaysPassingIsSameAfterEnoughRuns) {
  CompareOptions options;
  EXPECT_EQ(CompareRates({0, 5}, {0, 5}, options).verdict, Verdict::kUndecided);
  EXPECT_EQ(CompareRates({0, 40}, {0, 40}, options).verdict, Verdict::kSame);
}

TEST(Stats, CompareRates_ConfidenceAndGapMatter) {
  CompareOptions strict;
  strict.confidence = 0.999;
  CompareOptions loose;
  loose.confidence = 0.9;
  Counts a{12, 20}, b{3, 20};
  EXPECT_EQ(CompareRates(a, b, loose).verdict, Verdict::kAHigher);
  EXPECT_EQ(CompareRates(a, b, strict).verdict, Verdict::kUndecided);
  // A wider indifference zone makes "same" easier to establish.
  CompareOptions wide;
  wide.min_difference = 0.3;
  EXPECT_EQ(CompareRates({12, 60}, {12, 60}, CompareOptions{}).verdict, Verdict::kUndecided);
  EXPECT_EQ(CompareRates({12, 60}, {12, 60}, wide).verdict, Verdict::kSame);
}

TEST(Stats, RunsToSettle_ZeroWhenDecidedAndGrowsAsRatesApproach) {
  CompareOptions options;
  EXPECT_EQ(RunsToSettle({8, 8}, {0, 8}, options), 0);
  int clear = RunsToSettle({5, 10}, {0, 10}, options);
  int close = RunsToSettle({4, 10}, {2, 10}, options);
  EXPECT_GT(clear, 0);
  EXPECT_GT(close, clear);
  // The projection reaches a verdict at the number it names.
  double each = clear / 2.0;
  double ra = PosteriorMean({5, 10}), rb = PosteriorMean({0, 10});
  EXPECT_NE(CompareRates({5 + each * ra, 10 + each}, {each * rb, 10 + each}, options).verdict,
            Verdict::kUndecided);
  EXPECT_EQ(RunsToSettle({4, 10}, {2, 10}, options, 8), -1);
}

}  // namespace
}  // namespace timerbisect::stats
