// The adaptive search's sets among at most kMaxSubsetSites candidates, with
// free subset probes (see adaptive_searcher.h and subset_posterior.h).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "protocol/marker.h"
#include "protocol/pattern.h"
#include "search/adaptive_searcher.h"
#include "search/posterior.h"
#include "search/prober.h"
#include "search/subset_posterior.h"
#include "stats/rate.h"

namespace timerbisect::search {
namespace {

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

// Whether a further set's `exact` runs fail at its p (over `cells`)
// rather than at the background rate, to `settled`. A further round's
// cells come from the last set's posterior, which puts q near 0, so one
// chance failure of an innocent site's exact run could settle it when its
// few probes had failed by chance too (2 in 240 searches at p = 0.5,
// q = 0.05). The background rate is fitted here only to runs that toggled
// neither `found` nor a set found before (`excluded`): the passing literal
// and explicit probes without them.
bool AboveBackground(const std::vector<double>& cells, const stats::Counts& exact,
                     const stats::Counts& background, double settled) {
  const double at_p = LikelihoodOverCells(cells, exact).at_p;
  const double at_background = LikelihoodAfter(background, exact);
  return at_p >= settled * (at_p + at_background);
}

// Whether sorted `a` and `b` share an ID.
bool Overlaps(const Ids& a, const Ids& b) {
  return std::any_of(a.begin(), a.end(),
                     [&](std::uint64_t id) { return std::binary_search(b.begin(), b.end(), id); });
}

// `ids` as a membership over `candidates` (both sorted).
std::vector<bool> Membership(const Ids& candidates, const Ids& ids) {
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
bool Listed(const Ids& ids, const Ids& candidates, bool leading) {
  return ids.size() < candidates.size() || ids.size() <= 2 || leading;
}

}  // namespace

// The sets of one round of free subset probes (see subset_posterior.h):
// every hypothesis of at most two culprit sites among `candidates` (and
// larger sets grown from a leading one), or
// "none". The most probable one is reported once its posterior reaches
// Config::confidence and each of its sets has failed in a run of exactly
// it (the first of them verbose); "none" at Config::confidence ends the
// search (kNotSensitive for the first round, kNoMore after).
AdaptiveSearcher::SetOutcome AdaptiveSearcher::FindSubsetSets(int set_index, const Ids& candidates,
                                                              const Ids& excluded,
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
    estimated_left_ = lead >= settled
                          ? RunsUntil(exact_runs, MeanRate(best.cells, true), confirms)
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

// The runs that toggled neither `found` nor `excluded` (see
// AboveBackground).
stats::Counts AdaptiveSearcher::BackgroundRuns(const Ids& found, const Ids& excluded) const {
  stats::Counts background;
  for (const Explicit& seen : explicit_) {
    if (Overlaps(seen.ids, found) || Overlaps(seen.ids, excluded)) continue;
    background.runs += 1;
    background.failures += seen.failed ? 1 : 0;
  }
  return background;
}

// The pattern toggling exactly `ids` of the candidates: the literals for
// none and (first set) all, every site but the sets found for all later,
// else the ID list, verbose the first time a list of at most two sites or
// of the leading set (a possible set: that run is its confirmation and
// shows its stacks).
std::string AdaptiveSearcher::SubsetPattern(const Ids& ids, const Ids& candidates, int set_index,
                                            const Ids& excluded, bool leading) {
  if (ids.empty()) return PassingLiteral();
  if (!Listed(ids, candidates, leading)) {
    return set_index == 0 ? FailingLiteral() : RestPattern(excluded);
  }
  bool verbose = (ids.size() <= 2 || leading) && verbose_done_.insert(ids).second;
  return protocol::PatternForIds(ids, invert_, verbose);
}

// The message for a budget spent in a round of subset probes.
std::string AdaptiveSearcher::SubsetUnsettled(bool none_leads, double lead, const Ids& found,
                                              int set_index) const {
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

}  // namespace timerbisect::search
