// The posterior of the adaptive search's free subset probes
// (lib/search/subset_posterior.h) with exact numbers: the hypotheses and
// their prior, what a probe's outcome does to them, the best set, and the
// probe it picks.
#include "search/subset_posterior.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "search/posterior.h"

namespace timerbisect::search {
namespace {

// All prior mass on p = 1, q = 0: a deterministic target.
std::vector<double> Deterministic() {
  std::vector<double> w(Cells().size(), 0.0);
  for (std::size_t c = 0; c < w.size(); ++c) {
    if (Cells()[c].p == 1.0 && Cells()[c].q == 0) w[c] = 1;
  }
  return w;
}

SubsetPosterior Make(int m, double none, double one, double both) {
  return SubsetPosterior({.cells = Deterministic(),
                          .m = m,
                          .none = none,
                          .one_share = one,
                          .both_share = both,
                          .none_rates = {0.5},
                          .none_weights = {1}});
}

std::vector<bool> In(int m, std::vector<int> sites) {
  std::vector<bool> in(static_cast<std::size_t>(m), false);
  for (int s : sites) in[static_cast<std::size_t>(s)] = true;
  return in;
}

TEST(SubsetHypothesis, FiresAsItsKindSays) {
  std::vector<bool> in = In(4, {1, 2});
  EXPECT_TRUE((Hypothesis{Hypothesis::kOne, 1}.Fires(in)));
  EXPECT_FALSE((Hypothesis{Hypothesis::kOne, 0}.Fires(in)));
  EXPECT_TRUE((Hypothesis{Hypothesis::kEither, 0, 2}.Fires(in)));
  EXPECT_FALSE((Hypothesis{Hypothesis::kEither, 0, 3}.Fires(in)));
  EXPECT_TRUE((Hypothesis{Hypothesis::kBoth, 1, 2}.Fires(in)));
  EXPECT_FALSE((Hypothesis{Hypothesis::kBoth, 0, 2}.Fires(in)));
  EXPECT_TRUE((Hypothesis{Hypothesis::kAll, 1, -1, {1, 2}}.Fires(In(4, {1, 2, 3}))));
  EXPECT_FALSE((Hypothesis{Hypothesis::kAll, 0, -1, {0, 1, 2}}.Fires(In(4, {1, 2, 3}))));
}

// A failure of {0, 1, 2} with pairs as the only hypotheses: the three pairs
// in it lead together. Growing the first adds {0, 1, 2} (and {0, 1, 3},
// which that run already ruled out), weighed on the run before it, at a
// tenth of the pair's prior shared by the two; once each pair has passed
// alone, it is the only set left.
TEST(SubsetPosterior, GrowLeadingSetWeighsTheLargerSetsOnEveryRunBefore) {
  SubsetPosterior post = Make(4, 0, 0, 1);  // {a, b} pairs only
  post.Observe(In(4, {0, 1, 2}), true);
  EXPECT_FALSE(post.GrowLeadingSet(post.BestSet(), 0.5, 0.1, 4));  // the lead is 1/3
  EXPECT_FALSE(post.GrowLeadingSet(post.BestSet(), 0.3, 0.1, 2));  // pairs are the largest
  ASSERT_TRUE(post.GrowLeadingSet(post.BestSet(), 0.3, 0.1, 4));
  EXPECT_FALSE(post.GrowLeadingSet(post.BestSet(), 0.3, 0.1, 4));  // {0, 1} again
  EXPECT_EQ(post.hypotheses().size(), 4u + 6 + 6 + 2);
  // Each pair had 1/6 of the prior, the triple 1/6 * 0.1 / 2; the pairs in
  // {0, 1, 2} fit the run, as does the triple.
  SubsetPosterior::SetBelief best = post.BestSet();
  EXPECT_EQ(best.members, (std::vector<int>{0, 1}));
  EXPECT_NEAR(best.posterior, (1.0 / 6) / (3.0 / 6 + 1.0 / 120), 1e-12);
  post.Observe(In(4, {0, 1}), false);
  post.Observe(In(4, {0, 2}), false);
  post.Observe(In(4, {1, 2}), false);
  best = post.BestSet();
  EXPECT_EQ(best.members, (std::vector<int>{0, 1, 2}));
  EXPECT_DOUBLE_EQ(best.posterior, 1.0);
}

TEST(SubsetPosterior, PriorSpreadsEachKindsShareEvenly) {
  // m = 4: 4 single sites, 6 pairs of each kind.
  SubsetPosterior post = Make(4, 0.5, 0.6, 0.2);
  EXPECT_EQ(post.hypotheses().size(), 4u + 6 + 6);
  EXPECT_DOUBLE_EQ(post.none(), 0.5);
  SubsetPosterior::SetBelief best = post.BestSet();
  // {a} is named by One(a) (0.5 * 0.6 / 4) and by the three Either pairs
  // holding a (0.5 * 0.2 / 6 each): 0.075 + 0.05; site 0 wins the tie.
  EXPECT_EQ(best.members, (std::vector<int>{0}));
  EXPECT_DOUBLE_EQ(best.posterior, 0.075 + 0.05);
}

TEST(SubsetPosterior, DeterministicOutcomesRuleHypothesesOut) {
  SubsetPosterior post = Make(4, 0, 1, 0);  // single sites only
  post.Observe(In(4, {0, 1}), true);        // the culprit is 0 or 1
  post.Observe(In(4, {1}), false);          // not 1
  SubsetPosterior::SetBelief best = post.BestSet();
  EXPECT_EQ(best.members, (std::vector<int>{0}));
  EXPECT_DOUBLE_EQ(best.posterior, 1.0);
}

TEST(SubsetPosterior, PairNeededTogetherIsOneSet) {
  SubsetPosterior post = Make(3, 0, 0, 1);  // {a, b} pairs only
  post.Observe(In(3, {0, 2}), true);
  SubsetPosterior::SetBelief best = post.BestSet();
  EXPECT_EQ(best.members, (std::vector<int>{0, 2}));
  EXPECT_DOUBLE_EQ(best.posterior, 1.0);
}

TEST(SubsetPosterior, NoneWeighsOneRateForEveryRun) {
  // none 1/2 at rate 0.5 against single sites at p = 1: a pass of every
  // site rules the sites out (p = 1) and halves "none".
  SubsetPosterior post = Make(2, 0.5, 1, 0);
  post.Observe(In(2, {0, 1}), false);
  EXPECT_DOUBLE_EQ(post.none(), 1.0);
}

TEST(SubsetPosterior, ChoosesHalfTheMassForADeterministicTarget) {
  SubsetPosterior post = Make(8, 0, 1, 0);
  double gain = 0;
  std::vector<std::vector<bool>> picks = post.Choose(1, &gain);
  ASSERT_EQ(picks.size(), 1u);
  int size = 0;
  for (bool b : picks[0]) size += b;
  EXPECT_EQ(size, 4);
  EXPECT_DOUBLE_EQ(gain, std::log(2.0));
  // A batch of two: the second splits each half again (one nat more).
  picks = post.Choose(2, nullptr);
  ASSERT_EQ(picks.size(), 2u);
  int both = 0, second = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    both += picks[0][i] && picks[1][i];
    second += picks[1][i];
  }
  EXPECT_EQ(second, 4);
  EXPECT_EQ(both, 2);
}

}  // namespace
}  // namespace timerbisect::search
