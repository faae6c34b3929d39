// The adaptive search's first step: which of "y" and "n" fails (see
// adaptive_searcher.h).
#include <algorithm>
#include <string>
#include <vector>

#include "search/adaptive_searcher.h"
#include "search/posterior.h"
#include "stats/compare.h"
#include "stats/rate.h"

namespace timerbisect::search {
namespace {

// The direction may start the set search when the other direction has at
// most this share of the "sensitive" posterior: the search still weighs
// "not sensitive", and a wrong direction nearly always ends in it or
// inconclusive. Not always: at p = 0.2, q = 0.05, k = 2 (bench seed 23),
// "y" passed 10 of 10 and "n" failed 2 of 10, and the inverted search named
// two innocent sites, whose runs fail at p like every run that leaves a
// culprit new, while its runs without them included some with both
// culprits old. A check of each set against those runs stopped it, but
// cost 2-7 runs a search at p = 0.5 and 1.0. Of 100 bench searches at
// p = 0.2, q = 0.05, one started inverted at k = 1 (it ended "not
// sensitive") and one at k = 2 (that one); none of 400 at p = 0.5.
constexpr double kDirectionShare = 0.95;

// Whether the runs of "y" and "n" name the failing direction well enough
// to start the set search. One side failing while the other never did is
// enough: the set search's probes weigh "not sensitive" far better than
// more runs of "y" and "n" would.
bool DirectionClear(const stats::Comparison& cmp, const stats::Counts& y, const stats::Counts& n) {
  double lead = std::max(cmp.p_a_higher, cmp.p_b_higher);
  bool one_sided = (y.failures > 0) != (n.failures > 0);
  return (lead >= 0.5 || one_sided) && lead / (cmp.p_a_higher + cmp.p_b_higher) >= kDirectionShare;
}

// For progress: the runs of "y" and "n" (one each in turn) until the
// direction is clear, if each goes on failing at the rate it has (both
// run already); at most 99.
int RunsToClearDirection(stats::Counts y, stats::Counts n, const stats::CompareOptions& options) {
  const double y_rate = y.failures / y.runs, n_rate = n.failures / n.runs;
  int more = 0;
  while (more < 99) {
    stats::Counts& next = n.runs <= y.runs ? n : y;
    next.runs += 1;
    next.failures += &next == &n ? n_rate : y_rate;
    ++more;
    stats::Comparison cmp = stats::CompareRates(y, n, options);
    if (cmp.verdict == stats::Verdict::kSame || DirectionClear(cmp, y, n)) break;
  }
  return more;
}

}  // namespace

// Measures "y" and "n" until the sequential test names the failing one.
// Asks only that the direction be clear (the other direction at most
// 1 - confidence) and sensitivity more likely than not: the set search
// keeps "not sensitive" as a hypothesis, and its probes go on weighing it.
// false: the search ended here (result_ holds why).
bool AdaptiveSearcher::Direction() {
  stats::CompareOptions options{confidence_, kMinEffect, kNonePrior};
  for (;;) {
    stats::Counts y = tally_["y"], n = tally_["n"];
    if (y.runs > 0 && n.runs > 0) {
      stats::Comparison cmp = stats::CompareRates(y, n, options);
      if (cmp.verdict == stats::Verdict::kSame) {
        Finish(Outcome::kNotSensitive,
               "the failure rate does not depend on the sites: " + RatesText() +
                   "; a difference of " + Percent(kMinEffect) + " or more is ruled out at " +
                   Percent(confidence_) + " confidence");
        return false;
      }
      if (DirectionClear(cmp, y, n)) {
        invert_ = cmp.p_b_higher > cmp.p_a_higher;
        return true;
      }
    }
    if (runs_ >= budget_) {
      int more = stats::RunsToSettle(y, n, options);
      Finish(
          Outcome::kInconclusive,
          "cannot tell whether the sites matter after " + std::to_string(runs_) +
              " runs: " + RatesText() + "; " +
              (more > 0 ? "about " + std::to_string(more) + " more runs of y and n would settle it"
                        : std::string("the rates are too close to settle it")) +
              " (raise --max-runs)");
      return false;
    }
    // Before a run of each, the rates say nothing: one of each may do.
    estimated_left_ = y.runs > 0 && n.runs > 0 ? RunsToClearDirection(y, n, options)
                                               : (y.runs == 0) + (n.runs == 0);
    // Go's bisect runs "n" first; keep the two sides balanced.
    std::vector<std::string> patterns;
    double ny = y.runs, nn = n.runs;
    for (int i = 0; i < std::min(width_, budget_ - runs_); ++i) {
      bool pick_n = nn <= ny;
      patterns.push_back(pick_n ? "n" : "y");
      (pick_n ? nn : ny) += 1;
    }
    in_play_ = static_cast<int>(universe_.size());
    std::vector<ProbeResult> results = RunBatch(patterns);
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      Tally(patterns[i], results[i].failed);
      history_.push_back({patterns[i] == "y", results[i].failed});
    }
  }
}

}  // namespace timerbisect::search
