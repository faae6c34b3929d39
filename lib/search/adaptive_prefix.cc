// The adaptive search's sets among more than kMaxSubsetSites candidates: sites
// settled one at a time with prefixes of a fixed order (see
// adaptive_searcher.h and posterior.h).
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "protocol/marker.h"
#include "protocol/pattern.h"
#include "search/adaptive_searcher.h"
#include "search/posterior.h"
#include "search/prober.h"
#include "stats/rate.h"

namespace timerbisect::search {
namespace {

// Speculation (see SpeculationPosterior) starts when the leading candidate
// has this posterior, takes all probes from kSpeculateOnly on, and gives a
// candidate up below kSpeculationDead.
constexpr double kSpeculate = 0.3;
constexpr double kSpeculateOnly = 0.8;
constexpr double kSpeculationDead = 0.01;
// Speculation runs on one candidate before search probes get every other
// slot again.
constexpr double kSpeculationBurst = 6;
// Marks a speculation probe among the prefixes of a batch.
constexpr int kSpeculationProbe = -1;
// A wrong step shows as "nothing here fails"; the set restarts at most this
// often, then the search ends inconclusive.
constexpr int kMaxRestarts = 2;
// The prefix search's minimality check weighs "the smaller set fails at the
// set's p" with this weight, at any p with the rest (see Minimal): the few
// runs that settle a step may have misjudged p.
constexpr double kPrefixCheckKeep = 0.5;

}  // namespace

// One set: sites are settled one at a time, each the one that completes
// the set given the sites settled before it (see search.h).
AdaptiveSearcher::SetOutcome AdaptiveSearcher::FindSet(int set_index, const Ids& candidates,
                                                       const Ids& excluded, ChangeSet& set) {
  std::vector<double> first_prior = set_index == 0 ? CellPrior() : next_prior_;
  const double member_threshold = 1 - (1 - confidence_) / 2;
  for (int attempt = 0;; ++attempt) {
    if (attempt > kMaxRestarts) {
      message_ = "the set being built fell apart " + std::to_string(attempt) +
                 " times; the target's failures may not follow sets of sites";
      return SetOutcome::kStopped;
    }
    Attempt state{.list = candidates};
    Posterior::Prior prior{.cells = first_prior,
                           .m = static_cast<int>(candidates.size()),
                           .none = set_index == 0 ? kNonePrior : kNoMorePrior};
    // "Nothing here changes the rate": for the first set one rate for all
    // runs; for a further set, runs fail at the background rate q.
    if (set_index == 0) {
      prior.none_rates = SameRates();
      prior.none_weights.assign(prior.none_rates.size(), 1.0);
    } else {
      prior.none_rates = BackgroundRates();
      prior.none_weights = first_prior;
    }
    Posterior post(prior);
    if (set_index == 0 && attempt == 0) {
      // "y" and "n" were the whole list and nothing.
      for (const DirectionRun& run : history_) {
        bool failing_side = run.y != invert_;
        post.Observe(failing_side ? static_cast<int>(candidates.size()) : 0, run.failed);
      }
    }
    std::optional<SetOutcome> outcome =
        BuildSet(set_index, excluded, member_threshold, state, post, set);
    if (outcome) return *outcome;
    // The sites settled so far do not fail with any of the rest: a step
    // was wrong. Start the set over, keeping what (p, q) showed.
    first_prior = post.CellMarginal();
  }
}

// The leading candidate s = list[best - 1] may complete the set at once:
// then forced + {s} fails alone at rate p. That is worth testing directly
// long before the threshold posterior settles s, because with q small one
// failing run of forced + {s} says more than many passing prefixes. It
// needs no order argument: a set that fails alone at p, with forced alone
// passing (t = 0 ruled out) and forced's sites each needed, is a minimal
// culprit set whatever the other candidates do. The posterior is
// "forced + {s} fails at p" (prior: s completes the set at once) against
// "at q" or "nothing is sensitive", with (p, q) from the step's posterior
// given s.
double AdaptiveSearcher::SpeculationPosterior(const Posterior& post, const Predictive& pr, int best,
                                              const stats::Counts& runs) const {
  // p as the step's posterior has it, or any p: the runs that settle a
  // step are few and may have misjudged p, and a wrong p here would
  // leave a real set looking like "none" forever.
  CellLikelihood like = LikelihoodOverCells(MixFlatP(post.CellsGiven(best), 0.5), runs);
  // Against it: s does not complete the set alone (runs at q), or
  // nothing is sensitive at all (runs at the one rate of "none").
  double prior = pr.weight[static_cast<std::size_t>(best)] * kCompletePrior;
  double fails = prior * like.at_p;
  double passes = std::max(0.0, 1 - prior - pr.none_weight) * like.at_q +
                  pr.none_weight * post.NoneLikelihood(runs);
  return fails + passes > 0 ? fails / (fails + passes) : 0;
}

// The speculation step of BuildSet, on the leading candidate list[best - 1]
// (see SpeculationPosterior): the set when forced + {lead} is settled and
// forced alone is known to pass; else what the step's probes should do,
// in `spec` (a candidate its runs rule out is given up for this step).
std::optional<AdaptiveSearcher::SetOutcome> AdaptiveSearcher::Speculate(
    const Posterior& post, const Predictive& pr, int best, double member_threshold,
    double completion_threshold, Attempt& a, ChangeSet& set, Speculation& spec) {
  double best_p = pr.weight[static_cast<std::size_t>(best)];
  spec.lead = best >= 1 ? a.list[static_cast<std::size_t>(best - 1)] : 0;
  spec.active = best >= 1 && best_p >= kSpeculate &&
                std::find(a.dead.begin(), a.dead.end(), spec.lead) == a.dead.end();
  if (!spec.active) return std::nullopt;
  const stats::Counts& runs = a.alone[spec.lead];
  double posterior = SpeculationPosterior(post, pr, best, runs);
  bool forced_passes = a.forced.empty() || pr.weight[0] <= 1 - member_threshold;
  spec.ready = posterior >= completion_threshold && runs.failures >= 1;
  if (spec.ready && forced_passes) {
    set.ids = Union(a.forced, {spec.lead});
    set.confidence = a.product * posterior;
    next_prior_ = MixFlatP(post.CellsGiven(best), kLikeFirst);
    return Minimal(set, next_prior_, member_threshold, kPrefixCheckKeep);
  }
  if (posterior < kSpeculationDead && runs.runs > 0) {
    a.dead.push_back(spec.lead);
    spec.active = false;
  }
  return std::nullopt;
}

// Probes until the set is settled (kFound), the step shows nothing to
// find (kNotSensitive, kNoMore) or the budget is spent (kStopped);
// nullopt: a settled step was wrong, start over.
std::optional<AdaptiveSearcher::SetOutcome> AdaptiveSearcher::BuildSet(int set_index,
                                                                       const Ids& excluded,
                                                                       double member_threshold,
                                                                       Attempt& a, Posterior& post,
                                                                       ChangeSet& set) {
  for (;;) {
    int m = static_cast<int>(a.list.size());
    Predictive pr = post.Predict();
    int best =
        static_cast<int>(std::max_element(pr.weight.begin(), pr.weight.end()) - pr.weight.begin());
    double best_p = pr.weight[static_cast<std::size_t>(best)];
    double completion_threshold =
        std::min(0.9999, std::max(member_threshold, confidence_ / a.product));
    double none_threshold = a.forced.empty() ? confidence_ : member_threshold;

    if (pr.none_weight >= none_threshold) {
      if (a.forced.empty() && set_index == 0) {
        message_ = "no set of sites changes the failure rate by " + Percent(kMinEffect) +
                   " or more (" + Percent(pr.none_weight) + " posterior): " + RatesText();
        return SetOutcome::kNotSensitive;
      }
      if (a.forced.empty()) return SetOutcome::kNoMore;
      return std::nullopt;
    }
    if (best >= 1 && best_p >= member_threshold) {
      // Site `best` completes the set: keep it on, look before it. "None"
      // now means this step was wrong: all runs at the background rate.
      a.product *= best_p;
      a.forced = Union(a.forced, {a.list[static_cast<std::size_t>(best - 1)]});
      a.list.resize(static_cast<std::size_t>(best - 1));
      std::vector<double> given = post.CellsGiven(best);
      post = Posterior({.cells = given,
                        .m = static_cast<int>(a.list.size()),
                        .allow_zero = true,
                        .none = 1 - best_p,
                        .none_rates = BackgroundRates(),
                        .none_weights = given});
      a = Attempt{.forced = a.forced, .list = a.list, .product = a.product, .turn = a.turn};
      continue;
    }

    Speculation spec;
    if (std::optional<SetOutcome> found =
            Speculate(post, pr, best, member_threshold, completion_threshold, a, set, spec)) {
      return found;
    }
    const std::uint64_t lead_id = spec.lead;
    const bool speculate = spec.active, spec_ready = spec.ready;
    bool settled = best == 0 && best_p >= completion_threshold;
    if (settled && a.exact.failures >= 1) {
      set.ids = a.forced;
      set.confidence = a.product * best_p;
      next_prior_ = MixFlatP(post.CellsGiven(0), kLikeFirst);
      return Minimal(set, next_prior_, member_threshold, kPrefixCheckKeep);
    }

    if (runs_ >= budget_) {
      message_ = Unsettled(pr, best, a, set_index);
      return SetOutcome::kStopped;
    }
    // Settled but never seen failing alone: confirm with runs of exactly
    // the set before blaming it.
    int count = std::min(width_, budget_ - runs_);
    double gain = 0;
    // Speculation probes take every other slot, all of them once the lead
    // is clear.
    int spec_slots = 0;
    if (speculate && !settled) {
      const stats::Counts& runs = a.alone[lead_id];
      bool only = best_p >= kSpeculateOnly && runs.runs < kSpeculationBurst;
      spec_slots = only ? count : (count + (a.turn++ % 2)) / 2;
    }
    std::vector<int> prefixes;
    if (settled || spec_ready) {
      // Runs of exactly the forced sites: to confirm them as the set, or
      // to show they do not fail alone, so the speculated set is minimal.
      spec_slots = 0;
      prefixes.assign(static_cast<std::size_t>(count), 0);
    } else if (count > spec_slots) {
      prefixes = ChooseProbes(pr, count - spec_slots, &gain);
    }
    prefixes.insert(prefixes.end(), static_cast<std::size_t>(spec_slots), kSpeculationProbe);
    if (!settled) last_gain_ = gain;
    double target = best == 0 ? completion_threshold : member_threshold;
    estimated_left_ = static_cast<int>(
        std::ceil(std::max(0.0, Logit(target) - Logit(best_p)) / std::max(gain, 0.05)));
    in_play_ = m;

    std::vector<std::string> patterns;
    bool spec_verbose = a.alone[lead_id].runs == 0;
    for (int prefix : prefixes) {
      if (prefix != kSpeculationProbe) {
        patterns.push_back(PrefixPattern(prefix, set_index, excluded, a));
        continue;
      }
      // Its first run is verbose: if it settles, it is the set's confirmation.
      patterns.push_back(
          protocol::PatternForIds(Union(a.forced, {lead_id}), invert_, spec_verbose));
      spec_verbose = false;
    }
    std::vector<ProbeResult> results = RunBatch(patterns);
    for (std::size_t i = 0; i < prefixes.size(); ++i) {
      bool failed = results[i].failed;
      if (prefixes[i] == kSpeculationProbe) {
        stats::Counts& runs = a.alone[lead_id];
        runs.runs += 1;
        runs.failures += failed ? 1 : 0;
        Tally(protocol::PatternForIds(Union(a.forced, {lead_id}), invert_), failed);
        continue;
      }
      post.Observe(prefixes[i], failed);
      if (prefixes[i] == 0 && !a.forced.empty()) {
        a.exact.runs += 1;
        a.exact.failures += failed ? 1 : 0;
        Tally(protocol::PatternForIds(a.forced, invert_), failed);
      } else if (patterns[i] == "y" || patterns[i] == "n") {
        Tally(patterns[i], failed);
      }
    }
  }
}

// The pattern toggling the settled sites and the first `prefix` of the
// list. The first run of exactly the settled sites is verbose: it is
// their confirmation, and its reports carry the stacks.
std::string AdaptiveSearcher::PrefixPattern(int prefix, int set_index, const Ids& excluded,
                                            Attempt& a) const {
  int m = static_cast<int>(a.list.size());
  if (a.forced.empty() && prefix == 0) return PassingLiteral();
  if (a.forced.empty() && prefix == m) {
    return set_index == 0 ? FailingLiteral() : RestPattern(excluded);
  }
  Ids ids = a.forced;
  ids.insert(ids.end(), a.list.begin(), a.list.begin() + prefix);
  bool verbose = prefix == 0 && !a.verbose_done;
  a.verbose_done = a.verbose_done || verbose;
  return protocol::PatternForIds(SortedUnique(std::move(ids)), invert_, verbose);
}

// The message for a budget spent mid-step.
std::string AdaptiveSearcher::Unsettled(const Predictive& pr, int best, const Attempt& a,
                                        int set_index) const {
  bool none_leads = pr.none_weight >= pr.weight[static_cast<std::size_t>(best)];
  double lead = none_leads ? pr.none_weight : pr.weight[static_cast<std::size_t>(best)];
  std::string what;
  if (none_leads) {
    what = set_index == 0 && a.forced.empty() ? "\"not timer-sensitive\""
           : a.forced.empty()                 ? "\"no further set\""
                                              : "\"the step before was wrong\"";
  } else if (best == 0) {
    what = "set " + ShortPattern(protocol::PatternForIds(a.forced, invert_));
  } else {
    what = "site " + protocol::IdHex(a.list[static_cast<std::size_t>(best - 1)]);
  }
  double needed = 1 - (1 - confidence_) / 2;
  return UnsettledText(what, lead, needed);
}

}  // namespace timerbisect::search
