// The adaptive search's maths (lib/search/posterior.h) with exact numbers:
// the (p, q) grid and its prior, likelihoods, the posterior over "which
// site completes the set" after observations, and the probe it picks.
#include "search/posterior.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace timerbisect::search {
namespace {

// The index of cell (p, q) in Cells().
std::size_t CellAt(double p, double q) {
  const std::vector<Cell>& cells = Cells();
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (std::abs(cells[c].p - p) < 1e-9 && std::abs(cells[c].q - q) < 1e-9) return c;
  }
  ADD_FAILURE() << "no cell p " << p << " q " << q;
  return 0;
}

// A prior over cells with all of its mass on (p, q).
std::vector<double> OnlyCell(double p, double q) {
  std::vector<double> w(Cells().size(), 0.0);
  w[CellAt(p, q)] = 1;
  return w;
}

double Sum(const std::vector<double>& w) {
  return std::accumulate(w.begin(), w.end(), 0.0);
}

TEST(PosteriorGrid, CellsKeepTheMinimumEffect) {
  const std::vector<Cell>& cells = Cells();
  EXPECT_EQ(cells.size(), 220u);  // 20 p values, 16 q values, p >= q + 0.1
  EXPECT_EQ(QCount(), 16u);
  for (const Cell& c : cells) EXPECT_GE(c.p, c.q + kMinEffect - 1e-9);
  EXPECT_DOUBLE_EQ(cells.front().p, 0.1);
  EXPECT_DOUBLE_EQ(cells.back().p, 1.0);
  EXPECT_DOUBLE_EQ(cells.back().q, 0.9);
}

TEST(PosteriorGrid, PriorFavoursNoBackgroundAndCertainFailure) {
  std::vector<double> prior = CellPrior();
  ASSERT_EQ(prior.size(), Cells().size());
  // q = 0.9 has no p below 1, so 0.85 of its 0.6 / 15 is lost: the prior
  // sums to 0.966 (harmless: every posterior is normalized).
  EXPECT_NEAR(Sum(prior), 1.0 - 0.6 / 15 * 0.85, 1e-12);
  EXPECT_DOUBLE_EQ(prior[CellAt(1.0, 0)], 0.4 * 0.15);
  EXPECT_DOUBLE_EQ(prior[CellAt(0.99, 0)], 0.4 * 0.05);
  // The other 18 p points of q = 0 share 0.8 of its 0.4.
  EXPECT_DOUBLE_EQ(prior[CellAt(0.5, 0)], 0.4 * 0.8 / 18);
  // Each of the 15 other q values gets 0.6 / 15; q = 0.05 has 17 p points below 0.99.
  EXPECT_DOUBLE_EQ(prior[CellAt(0.5, 0.05)], 0.6 / 15 * 0.8 / 17);
  // q = 0.9 leaves only p = 1.
  EXPECT_DOUBLE_EQ(prior[CellAt(1.0, 0.9)], 0.6 / 15 * 0.15);
}

TEST(PosteriorMaths, EntropyLikelihoodAndNormalization) {
  EXPECT_DOUBLE_EQ(Entropy(0.5), std::log(2.0));
  EXPECT_EQ(Entropy(0), 0);
  EXPECT_EQ(Entropy(1), 0);
  EXPECT_DOUBLE_EQ(Likelihood(0.5, {1, 3}), 0.125);
  EXPECT_DOUBLE_EQ(Likelihood(0.9, {2, 3}), 0.9 * 0.9 * 0.1);
  EXPECT_EQ(Likelihood(0, {1, 1}), 0);
  EXPECT_EQ(Normalized({1, 3}), (std::vector<double>{0.25, 0.75}));
  EXPECT_EQ(Normalized({0, 0}), (std::vector<double>{0.5, 0.5}));
  EXPECT_DOUBLE_EQ(Logit(0.5), 0);
}

TEST(PosteriorMaths, RatePosteriorWeighsFailAtPAgainstAtQ) {
  // p = 0.5, q = 0: one failure can only be at p; one pass is 0.5 against 1.
  EXPECT_DOUBLE_EQ(RatePosterior(OnlyCell(0.5, 0), {1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(RatePosterior(OnlyCell(0.5, 0), {0, 1}), 1.0 / 3);
  EXPECT_DOUBLE_EQ(RatePosterior(OnlyCell(0.5, 0), {0, 0}), 0.5);
  CellLikelihood l = LikelihoodOverCells(OnlyCell(0.9, 0.05), {1, 2});
  EXPECT_DOUBLE_EQ(l.at_p, 0.9 * 0.1);
  EXPECT_DOUBLE_EQ(l.at_q, 0.05 * 0.95);
}

TEST(PosteriorMaths, LikelihoodAfterIntegratesTheRateOut) {
  // No runs seen: Beta(1/2, 1/2), so one failure has chance 1/2, two 3/8.
  EXPECT_DOUBLE_EQ(LikelihoodAfter({0, 0}, {1, 1}), 0.5);
  EXPECT_NEAR(LikelihoodAfter({0, 0}, {2, 2}), 3.0 / 8, 1e-12);
  // 20 passes seen: a failure has chance (0 + 1/2) / (20 + 1).
  EXPECT_NEAR(LikelihoodAfter({0, 20}, {1, 1}), 0.5 / 21, 1e-12);
  // Failures seen make a failure likelier, passes seen a pass.
  EXPECT_GT(LikelihoodAfter({3, 20}, {1, 1}), LikelihoodAfter({0, 20}, {1, 1}));
  EXPECT_NEAR(LikelihoodAfter({3, 20}, {0, 1}), 17.5 / 21, 1e-12);
  EXPECT_DOUBLE_EQ(LikelihoodAfter({5, 9}, {0, 0}), 1.0);
}

TEST(PosteriorMaths, MixFlatPSpreadsTheRestOverTheSameQ) {
  std::vector<double> mixed = MixFlatP(OnlyCell(1.0, 0), 0.8);
  EXPECT_NEAR(Sum(mixed), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(mixed[CellAt(1.0, 0)], 0.8 + 0.2 / 20);
  EXPECT_DOUBLE_EQ(mixed[CellAt(0.5, 0)], 0.2 / 20);
  EXPECT_EQ(mixed[CellAt(0.5, 0.05)], 0);
}

Posterior Uniform(double p, double q, int m, double none = 0) {
  return Posterior(
      {.cells = OnlyCell(p, q), .m = m, .none = none, .none_rates = {0.5}, .none_weights = {1.0}});
}

TEST(PosteriorUpdate, DeterministicPrefixHalvesTheCandidates) {
  Posterior post = Uniform(1.0, 0, 4);
  Predictive pr = post.Predict();
  EXPECT_EQ(pr.weight, (std::vector<double>{0, 0.25, 0.25, 0.25, 0.25}));
  post.Observe(2, true);  // the culprit is within the first 2
  pr = post.Predict();
  EXPECT_EQ(pr.weight, (std::vector<double>{0, 0.5, 0.5, 0, 0}));
  EXPECT_DOUBLE_EQ(pr.p[1], 1.0);
  EXPECT_DOUBLE_EQ(pr.q[1], 0.0);
}

TEST(PosteriorUpdate, FlakyPassOnlyShiftsTheOdds) {
  Posterior post = Uniform(0.5, 0, 4);
  post.Observe(2, false);  // t <= 2 passes at 1 - p = 0.5, t > 2 at 1 - q = 1
  Predictive pr = post.Predict();
  EXPECT_DOUBLE_EQ(pr.weight[1], 1.0 / 6);
  EXPECT_DOUBLE_EQ(pr.weight[2], 1.0 / 6);
  EXPECT_DOUBLE_EQ(pr.weight[3], 1.0 / 3);
  EXPECT_DOUBLE_EQ(pr.weight[4], 1.0 / 3);
}

TEST(PosteriorUpdate, NoneAndCompletionPriors) {
  // none 0.5 at rate 0.5; t = 0 gets half of the rest; t = 1, 2 a quarter each.
  Posterior post({.cells = OnlyCell(1.0, 0),
                  .m = 2,
                  .allow_zero = true,
                  .none = 0.5,
                  .none_rates = {0.5},
                  .none_weights = {1.0}});
  Predictive pr = post.Predict();
  EXPECT_DOUBLE_EQ(pr.none_weight, 0.5);
  EXPECT_DOUBLE_EQ(pr.weight[0], 0.25);
  EXPECT_DOUBLE_EQ(pr.weight[1], 0.125);
  post.Observe(2, true);  // every t fails (1.0); none at 0.5
  pr = post.Predict();
  EXPECT_DOUBLE_EQ(pr.none_weight, 1.0 / 3);
  EXPECT_DOUBLE_EQ(pr.weight[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(post.NoneLikelihood({1, 2}), 0.25);
  EXPECT_EQ(post.CellsGiven(1), OnlyCell(1.0, 0));
  EXPECT_EQ(post.CellMarginal(), OnlyCell(1.0, 0));
}

TEST(PosteriorChoice, HalvesADeterministicStepForOneNat) {
  Predictive pr = Uniform(1.0, 0, 4).Predict();
  double gain = 0;
  EXPECT_EQ(ChooseProbes(pr, 1, &gain), (std::vector<int>{2}));
  EXPECT_DOUBLE_EQ(gain, std::log(2.0));
  // The second of a batch splits the halves again (both splits are worth
  // the same; the first wins).
  EXPECT_EQ(ChooseProbes(pr, 2, nullptr), (std::vector<int>{2, 1}));
}

TEST(PosteriorChoice, SkewedPosteriorProbesTheLeader) {
  Posterior post = Uniform(1.0, 0, 4);
  post.Observe(1, false);  // t = 2, 3, 4 remain, a third each
  Predictive pr = post.Predict();
  double gain = 0;
  std::vector<int> pick = ChooseProbes(pr, 1, &gain);
  ASSERT_EQ(pick.size(), 1u);
  EXPECT_EQ(pick[0], 2);  // {2} against {3, 4}: the first of two equal splits
  EXPECT_DOUBLE_EQ(gain, Entropy(1.0 / 3));
}

}  // namespace
}  // namespace timerbisect::search
