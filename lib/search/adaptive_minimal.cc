// The adaptive search's check that a set of two or more sites is minimal
// (see adaptive_searcher.h).
#include <algorithm>
#include <string>
#include <vector>

#include "protocol/marker.h"
#include "protocol/pattern.h"
#include "search/adaptive_searcher.h"
#include "search/posterior.h"
#include "search/prober.h"
#include "stats/rate.h"

namespace timerbisect::search {

// A set of two or more sites is only reported if it is minimal: without
// any one member it must fail at the background rate, not at p. The steps
// imply it, but one wrong step (a site settled too early) would otherwise
// surface as an extra member. A member found unneeded is dropped and the
// rest checked again. Each check runs the smaller set until "fails at p"
// or "at q" reaches `threshold` (prior 1/2, (p, q) from `cells` with
// weight `keep`, any p with the rest), counting its runs made before; the
// set's confidence takes the "at q" posteriors. Any p mixed in makes the
// check slow: ruling out "fails alone at 10%" takes about 20 passes.
AdaptiveSearcher::SetOutcome AdaptiveSearcher::Minimal(ChangeSet& set,
                                                       const std::vector<double>& cells,
                                                       double threshold, double keep) {
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

}  // namespace timerbisect::search
