// The adaptive search: its entry point, and the searcher's run, tally of
// runs and messages (see adaptive_searcher.h).
#include "search/adaptive.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "protocol/pattern.h"
#include "search/adaptive_searcher.h"
#include "search/posterior.h"
#include "search/prober.h"
#include "stats/rate.h"

namespace timerbisect::search {
namespace {

constexpr int kDefaultMaxRuns = 400;

}  // namespace

std::string Percent(double x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * x);
  return buf;
}

// The mean p (or q) of a posterior over cells.
double MeanRate(const std::vector<double>& cells, bool p) {
  const std::vector<Cell>& grid = Cells();
  double mean = 0;
  for (std::size_t c = 0; c < grid.size(); ++c) mean += cells[c] * (p ? grid[c].p : grid[c].q);
  return mean;
}

// q of every cell: the rates of "none" once a site is settled or a set
// found (every run at the background rate).
std::vector<double> BackgroundRates() {
  std::vector<double> rates;
  for (const Cell& c : Cells()) rates.push_back(c.q);
  return rates;
}

AdaptiveSearcher::AdaptiveSearcher(const Config& config, const BatchProbe& probe)
    : config_(config),
      probe_(probe),
      confidence_(std::clamp(config.confidence, 0.5, 0.999999)),
      budget_(config.max_runs > 0 ? config.max_runs : kDefaultMaxRuns),
      width_(std::max(1, config.parallelism)) {}

Result AdaptiveSearcher::Run() {
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
    if (config_.settled) config_.settled(SoFar());
  }
  if (result_.sets.empty()) {
    return Finish(Outcome::kInconclusive,
                  "the target fails under " + std::string(FailingLiteral()) +
                      " but no reported site takes part: sites appear or vanish between runs");
  }
  return Finish(Outcome::kFound, "");
}

// Runs each pattern once (in parallel), counts the runs, adds reported
// sites to the universe and sends progress.
std::vector<ProbeResult> AdaptiveSearcher::RunBatch(const std::vector<std::string>& patterns) {
  std::vector<ProbeResult> results = probe_(patterns);
  const std::size_t answered = std::min(results.size(), patterns.size());
  for (std::size_t i = 0; i < answered; ++i) {
    ++runs_;
    const ProbeResult& r = results[i];
    universe_ = Union(universe_, SortedUnique(r.reported));
    if (config_.progress) {
      // The budget bounds the estimate (counting this run, as it does).
      const int left = std::min(estimated_left_, budget_ - runs_ + 1);
      config_.progress({runs_, patterns[i], r.failed, in_play_, left, false, r.reused, r.replayed});
    }
  }
  if (answered < patterns.size()) {
    // Stopped: every step's budget check ends the search after this batch
    // (the runs not made stand as passes that reported nothing, so callers
    // can index the batch), and Finish says it was interrupted.
    interrupted_ = true;
    budget_ = std::min(budget_, runs_);
  }
  results.resize(patterns.size());
  return results;
}

void AdaptiveSearcher::Tally(const std::string& key, bool failed) {
  stats::Counts& c = tally_[key];
  c.runs += 1;
  c.failures += failed ? 1 : 0;
}

MeasuredRate AdaptiveSearcher::Rate(const std::string& key) const {
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

std::string AdaptiveSearcher::Describe(const std::string& key) const {
  MeasuredRate r = Rate(key);
  double rate = r.runs > 0 ? static_cast<double>(r.failures) / r.runs : 0;
  return key + " failed " + std::to_string(r.failures) + " of " + std::to_string(r.runs) +
         " runs (" + Percent(rate) + ", " + Percent(confidence_) + " interval " + Percent(r.low) +
         "-" + Percent(r.high) + ")";
}

Result AdaptiveSearcher::Finish(Outcome outcome, std::string message) {
  if (interrupted_) {
    outcome = Outcome::kInconclusive;
    message = "the probe was interrupted";
    result_.interrupted = true;
  }
  result_.outcome = outcome;
  result_.message = std::move(message);
  result_.runs = runs_;
  result_.probes = runs_;
  if (outcome != Outcome::kFound) result_.sets.clear();
  result_.rates = Rates();
  return result_;
}

std::vector<MeasuredRate> AdaptiveSearcher::Rates() const {
  std::vector<MeasuredRate> rates = {Rate("y"), Rate("n")};
  for (const ChangeSet& set : result_.sets) rates.push_back(Rate(set.pattern));
  return rates;
}

// The sets reported so far, as Config::settled gets them.
Result AdaptiveSearcher::SoFar() const {
  Result so_far;
  so_far.outcome = Outcome::kFound;
  so_far.invert = invert_;
  so_far.sets = result_.sets;
  so_far.runs = runs_;
  so_far.probes = runs_;
  so_far.rates = Rates();
  return so_far;
}

// "inconclusive after N runs (K sets found): ".
std::string AdaptiveSearcher::InconclusiveStart() const {
  const std::size_t found = result_.sets.size();
  return "inconclusive after " + std::to_string(runs_) + " runs (" + std::to_string(found) +
         (found == 1 ? " set" : " sets") + " found): ";
}

// The message for a budget spent while the best guess `what` had `lead`
// posterior and `needed` was asked for, with an estimate of the runs left
// from the last run's gain in log-odds.
std::string AdaptiveSearcher::UnsettledText(const std::string& what, double lead,
                                            double needed) const {
  int more = static_cast<int>(
      std::ceil(std::max(0.0, Logit(needed) - Logit(lead)) / std::max(last_gain_, 0.02)));
  return InconclusiveStart() + "the best guess, " + what + ", has " + Percent(lead) +
         " posterior, " + Percent(needed) + " needed; about " + std::to_string(std::max(more, 1)) +
         " more runs would settle this step (raise --max-runs); " + RatesText();
}

// Every site on (in the search's direction) but the sets found: reaches
// sites no run has reported yet.
std::string AdaptiveSearcher::RestPattern(const Ids& excluded) const {
  protocol::PatternSpec spec{false, invert_, {protocol::Suffix::All()}, {}};
  for (std::uint64_t id : excluded) spec.skip.push_back(protocol::Suffix::Id(id));
  return protocol::BuildPattern(spec);
}

Result AdaptiveSearch(const Config& config, const BatchProbe& probe) {
  return AdaptiveSearcher(config, probe).Run();
}

}  // namespace timerbisect::search
