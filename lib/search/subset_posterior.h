// The posterior of the adaptive search's free subset probes. Over m
// candidate sites (indexes 0..m-1) it weighs every hypothesis of at most two
// culprit sites: one site a (a run fails at p iff a is toggled), two sets
// {a} and {b} (fails at p iff a or b is), one set {a, b} (fails at p iff both
// are), each jointly with a (p, q) cell of posterior.h, plus "none" (nothing
// here changes the rate: every run fails at one rate of its own grid). A
// probe is any subset of the candidates; Choose picks the ones with the most
// expected information, greedily site by site, and for a batch each given
// every combination of the outcomes of those picked before it. A set of
// three or more sites is weighed once a set one site smaller leads (see
// GrowLeadingSet). Pure values: no probe, no clock, no RNG.
#pragma once

#include <cstddef>
#include <set>
#include <vector>

#include "search/posterior.h"

namespace timerbisect::search {

struct Hypothesis {
  // kAll: one set of three or more sites, `all` (fails at p iff every one
  // of them is toggled).
  enum Kind { kOne, kEither, kBoth, kAll } kind = kOne;
  int a = 0;
  int b = -1;                 // kEither, kBoth: the second site (a < b)
  std::vector<int> all = {};  // kAll: the sites, sorted (a is the first)

  // Whether a probe toggling the sites marked in `in` holds a culprit set.
  bool Fires(const std::vector<bool>& in) const;
};

class SubsetPosterior {
 public:
  struct Prior {
    std::vector<double> cells = {};  // over Cells()
    int m = 0;
    double none = 0;        // P("none")
    double one_share = 0;   // of the rest, the single-site hypotheses' share ...
    double both_share = 0;  // ... {a, b}'s; {a}, {b} get what is left
    std::vector<double> none_rates = {};
    std::vector<double> none_weights = {};  // over none_rates
  };
  explicit SubsetPosterior(const Prior& prior);

  void Observe(const std::vector<bool>& in, bool failed);

  int m() const { return m_; }
  const std::vector<Hypothesis>& hypotheses() const { return hyp_; }
  double none() const;
  // The most probable culprit set: {a} (named by one site and by two
  // separate ones), {a, b} or a grown set, with P(it is one of the culprit
  // sets), and the posterior over cells given that it is (normalized).
  struct SetBelief {
    std::vector<int> members;
    double posterior = 0;
    std::vector<double> cells;
    int hypothesis = -1;  // a set of two or more: its kBoth or kAll hypothesis
  };
  SetBelief BestSet() const;

  // When `lead` (BestSet's) has two or more sites (and fewer than
  // max_size), at least `at_least` posterior, and was not grown before:
  // adds every set of it plus one more site, weighed on every run observed
  // so far, their prior together `share` of the set's own. A failure that
  // needs three sites looks to the pair hypotheses like a pair failing at a
  // lower p; its sets become hypotheses only this way (there are m^3 / 6).
  // Returns whether it added any (BestSet may then name another set).
  bool GrowLeadingSet(const SetBelief& lead, double at_least, double share, int max_size);

  // Up to `count` probes (membership over the m sites), each the subset with
  // the most expected information given the outcomes of the ones before it;
  // `gain` gets the first one's in nats.
  std::vector<std::vector<bool>> Choose(int count, double* gain) const;

 private:
  // Scales to sum 1, refreshes h_total_ and drops the hypotheses left with
  // less than kNegligible of the mass (no run can bring them back to a
  // verdict before the budget ends, and the search gets faster as it
  // learns).
  void Normalize();
  // Appends hypothesis `h` with prior `prior` (over cells: the prior's);
  // Normalize must follow.
  void Add(Hypothesis h, double prior);
  // The chance of every run observed so far under `h` at `cell`, times the
  // scale Normalize has applied since (so it is on w_'s scale).
  double Likelihood(const Hypothesis& h, const Cell& cell) const;

  int m_;
  std::vector<Cell> grid_;               // the (p, q) cells kept (see OnCoarseGrid)
  std::vector<std::size_t> grid_index_;  // their indexes in Cells()
  std::vector<Hypothesis> hyp_;
  std::vector<double> w_;        // [h * cells + c]
  std::vector<double> h_total_;  // per hypothesis, over cells
  std::vector<int> live_;        // hypotheses not dropped
  std::vector<bool> alive_;      // per hypothesis
  std::vector<double> none_rate_;
  std::vector<double> none_w_;
  std::vector<std::vector<int>> touching_;  // per site: the hypotheses naming it
  std::vector<double> h_prior_;             // per hypothesis
  std::vector<double> cell_prior_;          // over grid_
  double log_scale_ = 0;                    // the log of every Normalize's scale, summed
  struct Run {
    std::vector<bool> in;
    bool failed = false;
  };
  std::vector<Run> runs_;                // every run observed, for GrowLeadingSet
  std::set<std::vector<int>> grown_;     // the sets grown so far
  std::set<std::vector<int>> all_sets_;  // the sites of every kAll hypothesis
};

}  // namespace timerbisect::search
