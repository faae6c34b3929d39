#include "search/adaptive.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/marker.h"
#include "protocol/pattern.h"
#include "search/posterior.h"
#include "search/prober.h"
#include "search/subset_posterior.h"
#include "stats/compare.h"
#include "stats/rate.h"

namespace timerbisect::search {
namespace {

constexpr int kDefaultMaxRuns = 400;
// Prior of "not sensitive" (first set) and of "no further set".
constexpr double kNonePrior = 0.5;
// Prior of "no further set" once one is found: most flaky tests have one
// cause.
constexpr double kNoMorePrior = 2.0 / 3.0;
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
// A further set is assumed to fail at a rate like the first one's with this
// weight, at any rate with the rest: with a flat prior over p, telling "no
// further set" from "one failing 10% of runs" takes ~3x the runs.
constexpr double kLikeFirst = 0.8;
// Up to this many candidates a set is searched with free subset probes over
// every hypothesis of one or two culprit sites (about m^2 hypotheses times
// the (p, q) grid); beyond it, with prefixes of a fixed order.
constexpr int kMaxSubsetSites = 128;
// Prior shares of the subset hypotheses: one site, two sites needed
// together; two separate sites get the rest.
constexpr double kOneShare = 0.6;
constexpr double kBothShare = 0.2;
// A set of two or more sites that leads with this posterior is grown: the
// sets of it plus one site become hypotheses, together this share of its
// prior (see SubsetPosterior::GrowLeadingSet). A failure that needs three
// sites shows as pairs that fail at p ~ 0.5, one of which leads; one that
// needs four as six pairs at p ~ 0.25, none leading by much (at 0.2, 9 of
// 10 deterministic ones among 90 ended inconclusive; at 0.05, none).
constexpr double kGrowAt = 0.05;
constexpr double kGrowShare = 0.1;
// A wrong step shows as "nothing here fails"; the set restarts at most this
// often, then the search ends inconclusive.
constexpr int kMaxRestarts = 2;
// The prefix search's minimality check weighs "the smaller set fails at the
// set's p" with this weight, at any p with the rest (see Minimal): the few
// runs that settle a step may have misjudged p.
constexpr double kPrefixCheckKeep = 0.5;

std::string Percent(double x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * x);
  return buf;
}

class AdaptiveSearcher {
 public:
  AdaptiveSearcher(const Config& config, const BatchProbe& probe)
      : config_(config),
        probe_(probe),
        confidence_(std::clamp(config.confidence, 0.5, 0.999999)),
        budget_(config.max_runs > 0 ? config.max_runs : kDefaultMaxRuns),
        width_(std::max(1, config.parallelism)) {}

  Result Run() {
    if (!Direction()) return result_;
    result_.invert = invert_;
    if (universe_.empty()) {
      return Finish(Outcome::kInconclusive, std::string("target fails under pattern ") +
                                                FailingLiteral() +
                                                " but reported no site: it does not speak the "
                                                "bisect protocol");
    }
    Ids excluded;
    for (int set_index = 0;; ++set_index) {
      if (config_.max_sets > 0 && static_cast<int>(result_.sets.size()) >= config_.max_sets) break;
      Ids candidates = Minus(universe_, excluded);
      if (candidates.empty()) break;
      std::vector<ChangeSet> sets(1);
      SetOutcome outcome = static_cast<int>(candidates.size()) <= kMaxSubsetSites
                               ? FindSubsetSets(set_index, candidates, excluded, sets)
                               : FindSet(set_index, candidates, excluded, sets[0]);
      if (outcome == SetOutcome::kNotSensitive) return Finish(Outcome::kNotSensitive, message_);
      if (outcome == SetOutcome::kStopped) return Finish(Outcome::kInconclusive, message_);
      if (outcome == SetOutcome::kNoMore) break;
      for (ChangeSet& set : sets) {
        if (config_.max_sets > 0 && static_cast<int>(result_.sets.size()) >= config_.max_sets) {
          break;
        }
        // --maxset: this search has no branch to give up early, so a set
        // found larger than the limit ends it (unreported), as Go's would.
        if (config_.max_set_size > 0 && static_cast<int>(set.ids.size()) > config_.max_set_size) {
          result_.more_not_searched = true;
          const bool found_some = !result_.sets.empty();
          return Finish(found_some ? Outcome::kFound : Outcome::kInconclusive,
                        MaxSetStop(config_.max_set_size, found_some));
        }
        excluded = Union(excluded, set.ids);
        result_.sets.push_back(std::move(set));
      }
    }
    if (result_.sets.empty()) {
      return Finish(Outcome::kInconclusive,
                    "the target fails under " + std::string(FailingLiteral()) +
                        " but no reported site takes part: sites appear or vanish between runs");
    }
    return Finish(Outcome::kFound, "");
  }

 private:
  enum class SetOutcome { kFound, kNoMore, kNotSensitive, kStopped };

  const char* FailingLiteral() const { return invert_ ? "n" : "y"; }
  const char* PassingLiteral() const { return invert_ ? "y" : "n"; }

  // Runs each pattern once (in parallel), counts the runs, adds reported
  // sites to the universe and sends progress.
  std::vector<ProbeResult> RunBatch(const std::vector<std::string>& patterns) {
    std::vector<ProbeResult> results = probe_(patterns);
    results.resize(patterns.size());  // a short answer counts as passes that reported nothing
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      ++runs_;
      const ProbeResult& r = results[i];
      universe_ = Union(universe_, SortedUnique(r.reported));
      if (config_.progress) {
        // The budget bounds the estimate (counting this run, as it does).
        const int left = std::min(estimated_left_, budget_ - runs_ + 1);
        config_.progress({runs_, patterns[i], r.failed, in_play_, left});
      }
    }
    return results;
  }

  void Tally(const std::string& key, bool failed) {
    stats::Counts& c = tally_[key];
    c.runs += 1;
    c.failures += failed ? 1 : 0;
  }

  MeasuredRate Rate(const std::string& key) const {
    MeasuredRate rate;
    rate.pattern = key;
    auto it = tally_.find(key);
    if (it == tally_.end()) return rate;
    rate.failures = static_cast<int>(it->second.failures);
    rate.runs = static_cast<int>(it->second.runs);
    stats::Interval in = stats::WilsonInterval(it->second, confidence_);
    rate.low = in.low;
    rate.high = in.high;
    return rate;
  }

  std::string Describe(const std::string& key) const {
    MeasuredRate r = Rate(key);
    double rate = r.runs > 0 ? static_cast<double>(r.failures) / r.runs : 0;
    return key + " failed " + std::to_string(r.failures) + " of " + std::to_string(r.runs) +
           " runs (" + Percent(rate) + ", " + Percent(confidence_) + " interval " + Percent(r.low) +
           "-" + Percent(r.high) + ")";
  }

  std::string RatesText() const { return Describe("y") + ", " + Describe("n"); }

  Result Finish(Outcome outcome, std::string message) {
    result_.outcome = outcome;
    result_.message = std::move(message);
    result_.runs = runs_;
    result_.probes = runs_;
    if (outcome != Outcome::kFound) result_.sets.clear();
    std::vector<MeasuredRate> rates = {Rate("y"), Rate("n")};
    for (const ChangeSet& set : result_.sets) rates.push_back(Rate(set.pattern));
    result_.rates = std::move(rates);
    return result_;
  }

  // Measures "y" and "n" until the sequential test names the failing one.
  // Asks only that the direction be clear (the other direction at most
  // 1 - confidence) and sensitivity more likely than not: the set search
  // keeps "not sensitive" as a hypothesis, and its probes go on weighing it.
  // false: the search ended here (result_ holds why).
  bool Direction() {
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
        Finish(Outcome::kInconclusive,
               "cannot tell whether the sites matter after " + std::to_string(runs_) +
                   " runs: " + RatesText() + "; " +
                   (more > 0
                        ? "about " + std::to_string(more) + " more runs of y and n would settle it"
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

  // Whether the runs of "y" and "n" name the failing direction well enough
  // to start the set search. One side failing while the other never did is
  // enough: the set search's probes weigh "not sensitive" far better than
  // more runs of "y" and "n" would.
  static bool DirectionClear(const stats::Comparison& cmp, const stats::Counts& y,
                             const stats::Counts& n) {
    double lead = std::max(cmp.p_a_higher, cmp.p_b_higher);
    bool one_sided = (y.failures > 0) != (n.failures > 0);
    return (lead >= 0.5 || one_sided) &&
           lead / (cmp.p_a_higher + cmp.p_b_higher) >= kDirectionShare;
  }

  // For progress: the runs of "y" and "n" (one each in turn) until the
  // direction is clear, if each goes on failing at the rate it has (both
  // run already); at most 99.
  static int RunsToClearDirection(stats::Counts y, stats::Counts n,
                                  const stats::CompareOptions& options) {
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

  // The sets of one round of free subset probes (see subset_posterior.h):
  // every hypothesis of at most two culprit sites among `candidates` (and
  // larger sets grown from a leading one), or
  // "none". The most probable one is reported once its posterior reaches
  // Config::confidence and each of its sets has failed in a run of exactly
  // it (the first of them verbose); "none" at Config::confidence ends the
  // search (kNotSensitive for the first round, kNoMore after).
  SetOutcome FindSubsetSets(int set_index, const Ids& candidates, const Ids& excluded,
                            std::vector<ChangeSet>& sets) {
    const int m = static_cast<int>(candidates.size());
    SubsetPosterior::Prior prior{.cells = set_index == 0 ? CellPrior() : next_prior_,
                                 .m = m,
                                 .none = set_index == 0 ? kNonePrior : kNoMorePrior,
                                 .one_share = kOneShare,
                                 .both_share = kBothShare};
    if (set_index == 0) {
      prior.none_rates = SameRates();
      prior.none_weights.assign(prior.none_rates.size(), 1.0);
    } else {
      prior.none_rates = BackgroundRates();
      prior.none_weights = prior.cells;
    }
    SubsetPosterior post(prior);
    // What was run already: "y" and "n" (all or none), and every explicit
    // probe that toggled none of the sets found since.
    const auto all = static_cast<std::size_t>(m);
    if (set_index == 0) {
      for (const DirectionRun& run : history_) {
        post.Observe(std::vector<bool>(all, run.y != invert_), run.failed);
      }
    }
    for (const Explicit& seen : explicit_) {
      if (!Minus(seen.ids, candidates).empty()) continue;
      post.Observe(Membership(candidates, seen.ids), seen.failed);
    }
    // A set needs what a settled step of the prefix search needs: with q > 0
    // a chance failure of a wrong site's exact run is otherwise 1 in ~100.
    const double settled = 1 - (1 - confidence_) / 2;
    const int max_size = config_.max_set_size > 0 ? config_.max_set_size + 1 : m;
    for (;;) {
      SubsetPosterior::SetBelief best = post.BestSet();
      if (post.GrowLeadingSet(best, kGrowAt, kGrowShare, max_size)) best = post.BestSet();
      const double lead = best.posterior;
      if (post.none() >= confidence_) {
        if (set_index > 0) return SetOutcome::kNoMore;
        message_ = "no set of sites changes the failure rate by " + Percent(kMinEffect) +
                   " or more (" + Percent(post.none()) + " posterior): " + RatesText();
        return SetOutcome::kNotSensitive;
      }
      Ids found;
      for (int i : best.members) found.push_back(candidates[static_cast<std::size_t>(i)]);
      found = SortedUnique(std::move(found));
      // A settled set still needs a failing run of exactly it.
      auto exact = tally_.find(protocol::PatternForIds(found, invert_));
      const stats::Counts exact_runs = exact != tally_.end() ? exact->second : stats::Counts{};
      // Only a further set is weighed against the background.
      const stats::Counts background =
          set_index > 0 ? BackgroundRuns(found, excluded) : stats::Counts{};
      auto confirms = [&](const stats::Counts& runs) {
        return runs.failures >= 1 &&
               (set_index == 0 || AboveBackground(best.cells, runs, background, settled));
      };
      const bool confirmed = confirms(exact_runs);
      if (lead >= settled && confirmed) {
        ChangeSet set{found, protocol::PatternForIds(found, invert_), lead};
        next_prior_ = MixFlatP(best.cells, kLikeFirst);
        // A pair is checked minimal with runs of its members alone. The
        // posterior already weighs "one member is a set alone", but on the
        // same runs that made the pair lead: a culprit whose runs without
        // the innocent site passed by luck loses to the pair (1 search in
        // 200 of auto_search_test's 50%-flaky ones without this check; the
        // culprit alone kept under 0.2% posterior there, not dropped). A
        // member alone is weighed at the pair's own (p, q): the posterior
        // has it from every run of the search, so no other p is mixed in.
        SetOutcome minimal = Minimal(set, best.cells, settled, 1.0);
        if (minimal != SetOutcome::kFound) return minimal;
        sets = {std::move(set)};
        return SetOutcome::kFound;
      }
      if (runs_ >= budget_) {
        message_ =
            SubsetUnsettled(post.none() >= lead, std::max(lead, post.none()), found, set_index);
        return SetOutcome::kStopped;
      }
      int count = std::min(width_, budget_ - runs_);
      double gain = 0;
      std::vector<std::vector<bool>> probes;
      if (lead >= settled) {
        probes.assign(static_cast<std::size_t>(count), Membership(candidates, found));
      } else {
        probes = post.Choose(count, &gain);
        last_gain_ = gain;
      }
      estimated_left_ =
          lead >= settled ? RunsUntil(exact_runs, MeanRate(best.cells, true), confirms)
                          : static_cast<int>(std::ceil(std::max(0.0, Logit(settled) - Logit(lead)) /
                                                       std::max(gain, 0.05)));
      in_play_ = m;
      std::vector<std::string> patterns;
      std::vector<Ids> toggled;
      for (const std::vector<bool>& in : probes) {
        Ids ids;
        for (std::size_t i = 0; i < all; ++i) {
          if (in[i]) ids.push_back(candidates[i]);
        }
        patterns.push_back(SubsetPattern(ids, candidates, set_index, excluded, ids == found));
        toggled.push_back(std::move(ids));
      }
      std::vector<ProbeResult> results = RunBatch(patterns);
      for (std::size_t i = 0; i < probes.size(); ++i) {
        bool failed = results[i].failed;
        post.Observe(probes[i], failed);
        const std::string& pattern = patterns[i];
        if (pattern == "y" || pattern == "n") {
          Tally(pattern, failed);
          if (pattern == PassingLiteral()) explicit_.push_back({{}, failed});
        } else if (Listed(toggled[i], candidates, toggled[i] == found)) {
          Tally(protocol::PatternForIds(toggled[i], invert_), failed);
          explicit_.push_back({toggled[i], failed});
        }
      }
    }
  }

  // Whether a further set's `exact` runs fail at its p (over `cells`)
  // rather than at the background rate, to `settled`. A further round's
  // cells come from the last set's posterior, which puts q near 0, so one
  // chance failure of an innocent site's exact run could settle it when its
  // few probes had failed by chance too (2 in 240 searches at p = 0.5,
  // q = 0.05). The background rate is fitted here only to runs that toggled
  // neither `found` nor a set found before (`excluded`): the passing literal
  // and explicit probes without them.
  static bool AboveBackground(const std::vector<double>& cells, const stats::Counts& exact,
                              const stats::Counts& background, double settled) {
    const double at_p = LikelihoodOverCells(cells, exact).at_p;
    const double at_background = LikelihoodAfter(background, exact);
    return at_p >= settled * (at_p + at_background);
  }

  // The runs that toggled neither `found` nor `excluded` (see
  // AboveBackground).
  stats::Counts BackgroundRuns(const Ids& found, const Ids& excluded) const {
    stats::Counts background;
    for (const Explicit& seen : explicit_) {
      if (Overlaps(seen.ids, found) || Overlaps(seen.ids, excluded)) continue;
      background.runs += 1;
      background.failures += seen.failed ? 1 : 0;
    }
    return background;
  }

  // The mean p (or q) of a posterior over cells.
  static double MeanRate(const std::vector<double>& cells, bool p) {
    const std::vector<Cell>& grid = Cells();
    double mean = 0;
    for (std::size_t c = 0; c < grid.size(); ++c) mean += cells[c] * (p ? grid[c].p : grid[c].q);
    return mean;
  }

  // For progress: the runs of one pattern, each failing `fail_share` of a
  // time (expected counts), until `done` holds of its runs; at most 99.
  template <class Done>
  static int RunsUntil(stats::Counts runs, double fail_share, const Done& done) {
    int n = 0;
    while (n < 99 && !done(runs)) {
      runs.runs += 1;
      runs.failures += fail_share;
      ++n;
    }
    return n;
  }

  // Whether sorted `a` and `b` share an ID.
  static bool Overlaps(const Ids& a, const Ids& b) {
    return std::any_of(a.begin(), a.end(), [&](std::uint64_t id) {
      return std::binary_search(b.begin(), b.end(), id);
    });
  }

  // `ids` as a membership over `candidates` (both sorted).
  static std::vector<bool> Membership(const Ids& candidates, const Ids& ids) {
    std::vector<bool> in(candidates.size(), false);
    for (std::size_t i = 0, j = 0; i < candidates.size() && j < ids.size(); ++i) {
      if (candidates[i] == ids[j]) {
        in[i] = true;
        ++j;
      }
    }
    return in;
  }

  // Whether a probe of `ids` is run as an explicit ID list: all but the
  // probe of every candidate, unless that could be a set itself (one or two
  // sites, or the leading set): a set's confirmation must be a run of
  // exactly its list.
  static bool Listed(const Ids& ids, const Ids& candidates, bool leading) {
    return ids.size() < candidates.size() || ids.size() <= 2 || leading;
  }

  // The pattern toggling exactly `ids` of the candidates: the literals for
  // none and (first set) all, every site but the sets found for all later,
  // else the ID list, verbose the first time a list of at most two sites or
  // of the leading set (a possible set: that run is its confirmation and
  // shows its stacks).
  std::string SubsetPattern(const Ids& ids, const Ids& candidates, int set_index,
                            const Ids& excluded, bool leading) {
    if (ids.empty()) return PassingLiteral();
    if (!Listed(ids, candidates, leading)) {
      return set_index == 0 ? FailingLiteral() : RestPattern(excluded);
    }
    bool verbose = (ids.size() <= 2 || leading) && verbose_done_.insert(ids).second;
    return protocol::PatternForIds(ids, invert_, verbose);
  }

  // "inconclusive after N runs (K sets found): ".
  std::string InconclusiveStart() const {
    const std::size_t found = result_.sets.size();
    return "inconclusive after " + std::to_string(runs_) + " runs (" + std::to_string(found) +
           (found == 1 ? " set" : " sets") + " found): ";
  }

  // The message for a budget spent while the best guess `what` had `lead`
  // posterior and `needed` was asked for, with an estimate of the runs left
  // from the last run's gain in log-odds.
  std::string UnsettledText(const std::string& what, double lead, double needed) const {
    int more = static_cast<int>(
        std::ceil(std::max(0.0, Logit(needed) - Logit(lead)) / std::max(last_gain_, 0.02)));
    return InconclusiveStart() + "the best guess, " + what + ", has " + Percent(lead) +
           " posterior, " + Percent(needed) + " needed; about " +
           std::to_string(std::max(more, 1)) +
           " more runs would settle this step (raise --max-runs); " + RatesText();
  }

  // The message for a budget spent in a round of subset probes.
  std::string SubsetUnsettled(bool none_leads, double lead, const Ids& found, int set_index) const {
    std::string what = none_leads
                           ? (set_index == 0 ? "\"not timer-sensitive\"" : "\"no further set\"")
                           : "set " + ShortPattern(protocol::PatternForIds(found, invert_));
    double needed = none_leads ? confidence_ : 1 - (1 - confidence_) / 2;
    if (!none_leads && lead >= needed) {
      // Settled, but its runs of exactly it do not confirm it yet.
      return InconclusiveStart() + "the best guess, " + what + ", has " + Percent(lead) +
             " posterior, but " +
             (set_index == 0 ? "no run of exactly it has failed yet"
                             : "its own runs have not yet failed clearly more often than runs "
                               "without it") +
             "; more runs of it would settle this step (raise --max-runs); " + RatesText();
    }
    return UnsettledText(what, lead, needed);
  }

  // One set: sites are settled one at a time, each the one that completes
  // the set given the sites settled before it (see search.h).
  SetOutcome FindSet(int set_index, const Ids& candidates, const Ids& excluded, ChangeSet& set) {
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

  // q of every cell: the rates of "none" once a site is settled or a set
  // found (every run at the background rate).
  static std::vector<double> BackgroundRates() {
    std::vector<double> rates;
    for (const Cell& c : Cells()) rates.push_back(c.q);
    return rates;
  }

  // The speculation step's verdict for one round of BuildSet.
  struct Speculation {
    std::uint64_t lead = 0;  // the leading candidate
    bool active = false;     // runs of forced + {lead} are worth making
    bool ready = false;      // forced + {lead} settled but for "forced alone passes"
  };

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
  double SpeculationPosterior(const Posterior& post, const Predictive& pr, int best,
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
  std::optional<SetOutcome> Speculate(const Posterior& post, const Predictive& pr, int best,
                                      double member_threshold, double completion_threshold,
                                      Attempt& a, ChangeSet& set, Speculation& spec) {
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
  std::optional<SetOutcome> BuildSet(int set_index, const Ids& excluded, double member_threshold,
                                     Attempt& a, Posterior& post, ChangeSet& set) {
    for (;;) {
      int m = static_cast<int>(a.list.size());
      Predictive pr = post.Predict();
      int best = static_cast<int>(std::max_element(pr.weight.begin(), pr.weight.end()) -
                                  pr.weight.begin());
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

  // A set of two or more sites is only reported if it is minimal: without
  // any one member it must fail at the background rate, not at p. The steps
  // imply it, but one wrong step (a site settled too early) would otherwise
  // surface as an extra member. A member found unneeded is dropped and the
  // rest checked again. Each check runs the smaller set until "fails at p"
  // or "at q" reaches `threshold` (prior 1/2, (p, q) from `cells` with
  // weight `keep`, any p with the rest), counting its runs made before; the
  // set's confidence takes the "at q" posteriors. Any p mixed in makes the
  // check slow: ruling out "fails alone at 10%" takes about 20 passes.
  SetOutcome Minimal(ChangeSet& set, const std::vector<double>& cells, double threshold,
                     double keep) {
    const std::vector<double> check_cells = MixFlatP(cells, keep);
    for (bool changed = true; changed && set.ids.size() >= 2;) {
      changed = false;
      for (std::uint64_t id : set.ids) {
        Ids without = Minus(set.ids, {id});
        std::string pattern = protocol::PatternForIds(without, invert_);
        // The runs of exactly the smaller set made so far count (the subset
        // search probes single sites).
        auto made = tally_.find(pattern);
        stats::Counts runs = made != tally_.end() ? made->second : stats::Counts{};
        double fails = runs.runs > 0 ? RatePosterior(check_cells, runs) : 0.5;
        while (fails < threshold && fails > 1 - threshold) {
          // Expected: the member alone fails at q only, as in a minimal set.
          estimated_left_ = RunsUntil(runs, MeanRate(cells, false), [&](const stats::Counts& c) {
            return RatePosterior(check_cells, c) <= 1 - threshold;
          });
          if (runs_ >= budget_) {
            message_ = "inconclusive after " + std::to_string(runs_) + " runs: checking that set " +
                       ShortPattern(protocol::PatternForIds(set.ids, invert_)) +
                       " is minimal (without " + protocol::IdHex(id) +
                       " it fails at the culprit rate with " + Percent(fails) +
                       " posterior); raise --max-runs";
            return SetOutcome::kStopped;
          }
          int count = std::min(width_, budget_ - runs_);
          std::vector<ProbeResult> results =
              RunBatch(std::vector<std::string>(static_cast<std::size_t>(count), pattern));
          for (const ProbeResult& r : results) {
            runs.runs += 1;
            runs.failures += r.failed ? 1 : 0;
            Tally(pattern, r.failed);
          }
          fails = RatePosterior(check_cells, runs);
        }
        if (fails >= threshold) {
          set.ids = without;  // not minimal: the smaller set fails on its own
          set.confidence *= fails;
          changed = true;
          break;
        }
        set.confidence *= 1 - fails;
      }
    }
    set.pattern = protocol::PatternForIds(set.ids, invert_);
    return SetOutcome::kFound;
  }

  // The pattern toggling the settled sites and the first `prefix` of the
  // list. The first run of exactly the settled sites is verbose: it is
  // their confirmation, and its reports carry the stacks.
  std::string PrefixPattern(int prefix, int set_index, const Ids& excluded, Attempt& a) const {
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

  // Every site on (in the search's direction) but the sets found: reaches
  // sites no run has reported yet.
  std::string RestPattern(const Ids& excluded) const {
    protocol::PatternSpec spec{false, invert_, {protocol::Suffix::All()}, {}};
    for (std::uint64_t id : excluded) spec.skip.push_back(protocol::Suffix::Id(id));
    return protocol::BuildPattern(spec);
  }

  // The message for a budget spent mid-step.
  std::string Unsettled(const Predictive& pr, int best, const Attempt& a, int set_index) const {
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

  struct DirectionRun {
    bool y = false;
    bool failed = false;
  };

  const Config& config_;
  const BatchProbe& probe_;
  const double confidence_;
  const int budget_;
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

}  // namespace

Result AdaptiveSearch(const Config& config, const BatchProbe& probe) {
  return AdaptiveSearcher(config, probe).Run();
}

}  // namespace timerbisect::search
