// Do two configurations fail at different rates? A Bayesian sequential test
// with an indifference zone, checked after every run:
//
//   same:      both fail at one rate r (uniform prior)
//   a higher:  rate_a >= rate_b + min_difference (uniform over that region)
//   b higher:  rate_b >= rate_a + min_difference
//
// Both configurations have a likelihood, so a target that fails at a
// background rate in its "passing" configuration is just a smaller rate_b,
// not a contradiction. The gap is what makes "same" decidable at all: with
// no gap, "same" gains evidence only like sqrt(runs), against exponentially
// with one. Under "same", the Bayes factor for either alternative is a
// nonnegative martingale, so by Ville's inequality the chance that the test
// EVER declares a difference, however long it runs and however often it
// looks, is at most about (1 - confidence) (for prior_same = 1/2).
#pragma once

#include "stats/rate.h"

namespace timerbisect::stats {

enum class Verdict { kUndecided, kSame, kAHigher, kBHigher };

struct CompareOptions {
  double confidence = 0.99;     // posterior probability a verdict needs
  double min_difference = 0.1;  // smallest difference of rates that counts as one
  double prior_same = 0.5;      // prior probability of "same"; the rest is split evenly
};

struct Comparison {
  double p_same = 0;      // posterior probabilities of the three hypotheses
  double p_a_higher = 0;  // (they sum to 1)
  double p_b_higher = 0;
  Verdict verdict = Verdict::kUndecided;  // the one at `confidence`, if any
};

Comparison CompareRates(Counts a, Counts b, const CompareOptions& options);

// How many more runs, half of them of each configuration, the test is
// expected to need for a verdict if the rates are what the runs so far
// suggest (posterior means): 0 if it has one, -1 if it would need more than
// `limit`. A guide for "inconclusive" messages, not a promise.
int RunsToSettle(Counts a, Counts b, const CompareOptions& options, int limit = 100000);

}  // namespace timerbisect::stats
