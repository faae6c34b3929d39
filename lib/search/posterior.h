// The adaptive search's maths (Algorithm::kAdaptive, adaptive.h), apart from
// its probing so it can be tested with exact numbers. A run fails at rate p
// when a culprit set is toggled and at a background rate q otherwise; p and
// q are unknown, so every posterior here is joint with a grid of (p, q)
// cells (q <= p - kMinEffect) and marginalized. Pure functions and values:
// no probe, no clock, no RNG.
#pragma once

#include <cstddef>
#include <vector>

#include "stats/rate.h"

namespace timerbisect::search {

// The smallest change of failure rate the search looks for. Without a gap,
// "these sites change nothing" could only ever gain evidence like sqrt(runs)
// (see stats/compare.h); and a difference of a few points would take
// thousands of runs to bisect anyway.
constexpr double kMinEffect = 0.1;
// Prior that the set built so far is complete (fails alone): single culprits
// are the common case.
constexpr double kCompletePrior = 0.5;

// One (p, q) point. The grid is finer near 0 and 1, where real rates sit
// and where one run tells the most: p in 0.10, 0.15, ..., 0.95, 0.99, 1;
// q in 0, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, ..., 0.9.
struct Cell {
  double p = 0;
  double q = 0;
  int q_index = 0;  // position of q in the q grid
};
const std::vector<Cell>& Cells();
// The number of distinct q values in Cells().
std::size_t QCount();

// The prior over Cells(). Most targets have no background failures, and many
// fail every time once the culprit is toggled: q = 0 gets 0.4 of the mass,
// p = 1 0.15 and p = 0.99 0.05 within each q (a grid point each, against a
// range of points for the rest), which lets a deterministic target be
// settled in a few runs.
std::vector<double> CellPrior();

// Rates of "not sensitive": one rate for every run, any value.
std::vector<double> SameRates();

// Entropy of a coin with chance x, in nats; 0 at 0 and 1.
double Entropy(double x);
// log(x / (1 - x)), x clamped to [1e-12, 1 - 1e-12].
double Logit(double x);

// `w` scaled to sum 1; uniform when it sums to 0.
std::vector<double> Normalized(std::vector<double> w);

// rate^failures * (1 - rate)^passes: the chance of `runs` at one rate.
double Likelihood(double rate, const stats::Counts& runs);

// The chance of `runs` of one pattern under a posterior over cells, if the
// pattern fails at p (at_p) or at q (at_q).
struct CellLikelihood {
  double at_p = 0;
  double at_q = 0;
};
CellLikelihood LikelihoodOverCells(const std::vector<double>& cell_w, const stats::Counts& runs);

// P(runs of one pattern fail at p rather than at q), prior 1/2.
double RatePosterior(const std::vector<double>& cell_w, const stats::Counts& runs);

// The chance of `runs` at a rate known only from `seen` (runs at the same
// rate) and a Beta(1/2, 1/2) prior: the rate integrated out.
double LikelihoodAfter(const stats::Counts& seen, const stats::Counts& runs);

// `found` (a posterior over cells) with weight `keep`, else the same q with
// any p (uniform over that q's p points). The prior of a further set: like
// the one just found, or not.
std::vector<double> MixFlatP(const std::vector<double>& found, double keep);

// What every hypothesis of a step predicts: t = 0..m the position of the
// site that completes the set (t = 0: the sites forced on fail alone), and
// "none": every run fails at one rate.
struct Predictive {
  std::vector<double> weight;  // per t
  std::vector<double> p;       // per t: expected rate of a probe that holds the culprit
  std::vector<double> q;       // per t: expected rate of one that does not
  double none_weight = 0;
  double none_rate = 0;
};

// Up to `count` prefixes to probe at once, each the one with the most
// expected information about t given the outcomes of the ones picked before
// it (every combination of their outcomes weighed by its probability). A
// prefix may come back more than once: a rerun. `gain` gets the first pick's
// expected information in nats.
std::vector<int> ChooseProbes(const Predictive& pr, int count, double* gain);

// The posterior of one step: which of t = 0..m (see Predictive), jointly with
// the cell (p, q), or "none" with its own rate. Observations are "prefix i
// failed / passed": the probe toggled the forced sites and the first i
// candidates, so it holds the culprit iff t <= i.
class Posterior {
 public:
  struct Prior {
    std::vector<double> cells = {};  // over Cells()
    int m = 0;                       // candidates in play
    bool allow_zero = false;         // t = 0 gets kCompletePrior of the non-none mass
    double none = 0;                 // P("none")
    std::vector<double> none_rates = {};
    std::vector<double> none_weights = {};  // over none_rates
  };
  // t = 1..m share what t = 0 and "none" leave, evenly.
  explicit Posterior(const Prior& prior);

  void Observe(int prefix, bool failed);
  Predictive Predict() const;
  // The likelihood of `runs` of one more pattern under "none" (averaged over
  // its rate, weighted by the posterior; 1 for no runs).
  double NoneLikelihood(const stats::Counts& runs) const;
  // The posterior over cells given t (normalized).
  std::vector<double> CellsGiven(int t) const;
  // The posterior over cells, whatever t (normalized; "none" left out).
  std::vector<double> CellMarginal() const;

 private:
  std::size_t Width() const { return static_cast<std::size_t>(m_) + 1; }
  void Normalize();

  int m_;
  std::vector<double> w_;  // [cell * (m + 1) + t]
  std::vector<double> none_rate_;
  std::vector<double> none_w_;
};

}  // namespace timerbisect::search
