// The adaptive search's searcher, shared by the files that implement it
// (internal to lib/search): adaptive.cc runs it and keeps its tally of runs,
// adaptive_direction.cc decides the direction, adaptive_subset.cc finds sets
// with free subset probes (up to kMaxSubsetSites candidates),
// adaptive_prefix.cc with prefixes of a fixed order (beyond that), and
// adaptive_minimal.cc checks a set minimal. The spec is in search.h.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "search/posterior.h"
#include "search/prober.h"
#include "search/search.h"
#include "stats/rate.h"

namespace timerbisect::search {

// Prior of "not sensitive" (first set) and of "no further set".
inline constexpr double kNonePrior = 0.5;
// Prior of "no further set" once one is found: most flaky tests have one
// cause.
inline constexpr double kNoMorePrior = 2.0 / 3.0;
// A further set is assumed to fail at a rate like the first one's with this
// weight, at any rate with the rest: with a flat prior over p, telling "no
// further set" from "one failing 10% of runs" takes ~3x the runs.
inline constexpr double kLikeFirst = 0.8;
// Up to this many candidates a set is searched with free subset probes over
// every hypothesis of one or two culprit sites (about m^2 hypotheses times
// the (p, q) grid); beyond it, with prefixes of a fixed order.
inline constexpr int kMaxSubsetSites = 128;

// "12%".
std::string Percent(double x);
// The mean p (or q) of a posterior over cells.
double MeanRate(const std::vector<double>& cells, bool p);
// q of every cell: the rates of "none" once a site is settled or a set
// found (every run at the background rate).
std::vector<double> BackgroundRates();

// For progress: the runs of one pattern, each failing `fail_share` of a
// time (expected counts), until `done` holds of its runs; at most 99.
template <class Done>
int RunsUntil(stats::Counts runs, double fail_share, const Done& done) {
  int n = 0;
  while (n < 99 && !done(runs)) {
    runs.runs += 1;
    runs.failures += fail_share;
    ++n;
  }
  return n;
}

class AdaptiveSearcher {
 public:
  AdaptiveSearcher(const Config& config, const BatchProbe& probe);
  Result Run();

 private:
  enum class SetOutcome { kFound, kNoMore, kNotSensitive, kStopped };

  const char* FailingLiteral() const { return invert_ ? "n" : "y"; }
  const char* PassingLiteral() const { return invert_ ? "y" : "n"; }

  // The tally of runs and the messages (adaptive.cc).
  std::vector<ProbeResult> RunBatch(const std::vector<std::string>& patterns);
  void Tally(const std::string& key, bool failed);
  MeasuredRate Rate(const std::string& key) const;
  std::string Describe(const std::string& key) const;
  std::string RatesText() const { return Describe("y") + ", " + Describe("n"); }
  Result Finish(Outcome outcome, std::string message);
  std::vector<MeasuredRate> Rates() const;  // "y", "n", then each set's
  Result SoFar() const;
  std::string InconclusiveStart() const;
  std::string UnsettledText(const std::string& what, double lead, double needed) const;
  std::string RestPattern(const Ids& excluded) const;

  // adaptive_direction.cc
  bool Direction();

  // adaptive_subset.cc
  SetOutcome FindSubsetSets(int set_index, const Ids& candidates, const Ids& excluded,
                            std::vector<ChangeSet>& sets);
  stats::Counts BackgroundRuns(const Ids& found, const Ids& excluded) const;
  std::string SubsetPattern(const Ids& ids, const Ids& candidates, int set_index,
                            const Ids& excluded, bool leading);
  std::string SubsetUnsettled(bool none_leads, double lead, const Ids& found, int set_index) const;

  // adaptive_prefix.cc
  // What one attempt at a set has settled.
  struct Attempt {
    Ids forced = {};            // settled sites, kept on
    Ids list = {};              // candidates still in play, in probe order
    double product = 1.0;       // product of the settled steps' posteriors
    stats::Counts exact = {};   // runs of exactly `forced`
    bool verbose_done = false;  // one of them was verbose
    // Runs of `forced` plus one leading candidate (see Speculate), by
    // candidate; cleared with each settled site.
    std::map<std::uint64_t, stats::Counts> alone = {};
    Ids dead = {};  // candidates whose runs showed they do not complete the set alone
    int turn = 0;   // alternates speculation and search probes
  };

  // The speculation step's verdict for one round of BuildSet.
  struct Speculation {
    std::uint64_t lead = 0;  // the leading candidate
    bool active = false;     // runs of forced + {lead} are worth making
    bool ready = false;      // forced + {lead} settled but for "forced alone passes"
  };

  SetOutcome FindSet(int set_index, const Ids& candidates, const Ids& excluded, ChangeSet& set);
  double SpeculationPosterior(const Posterior& post, const Predictive& pr, int best,
                              const stats::Counts& runs) const;
  std::optional<SetOutcome> Speculate(const Posterior& post, const Predictive& pr, int best,
                                      double member_threshold, double completion_threshold,
                                      Attempt& a, ChangeSet& set, Speculation& spec);
  std::optional<SetOutcome> BuildSet(int set_index, const Ids& excluded, double member_threshold,
                                     Attempt& a, Posterior& post, ChangeSet& set);
  std::string PrefixPattern(int prefix, int set_index, const Ids& excluded, Attempt& a) const;
  std::string Unsettled(const Predictive& pr, int best, const Attempt& a, int set_index) const;

  // adaptive_minimal.cc
  SetOutcome Minimal(ChangeSet& set, const std::vector<double>& cells, double threshold,
                     double keep);

  struct DirectionRun {
    bool y = false;
    bool failed = false;
  };

  const Config& config_;
  const BatchProbe& probe_;
  const double confidence_;
  int budget_;  // lowered to the runs made when the probe answers short (interrupted_)
  bool interrupted_ = false;
  const int width_;
  Result result_;
  bool invert_ = false;
  int runs_ = 0;
  int in_play_ = 0;
  int estimated_left_ = 0;
  double last_gain_ = 0;
  Ids universe_;
  std::map<std::string, stats::Counts> tally_;
  std::vector<DirectionRun> history_;  // the direction runs, in order
  std::vector<double> next_prior_;     // (p, q) prior of the next set
  // Every run of an explicit list of sites (or of none), for later rounds.
  struct Explicit {
    Ids ids;
    bool failed = false;
  };
  std::vector<Explicit> explicit_;
  std::set<Ids> verbose_done_;  // lists already run verbose once
  std::string message_;         // why FindSet stopped
};

}  // namespace timerbisect::search
