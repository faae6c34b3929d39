#include "search/search.h"

#include "search/adaptive.h"
#include "search/auto_search.h"
#include "search/id_split.h"
#include "search/prober.h"
#include "search/start.h"
#include "search/suffix_search.h"

#include "protocol/pattern.h"

namespace timerbisect::search {

std::string MaxSetStop(int max_set_size, bool found_some) {
  std::string n = std::to_string(max_set_size);
  std::string needs = "needs more than " + n + (max_set_size == 1 ? " site" : " sites") +
                      " together (--maxset " + n + ")";
  if (!found_some) {
    return "stopped before any set was found: the failure it followed " + needs +
           "; raise --maxset or drop it";
  }
  return "stopped: the next failure it followed " + needs + ", so the sets above may not be all";
}

Result Search(const Config& config, const BatchProbe& probe) {
  // It starts differently too: "y" and "n" are measured, not run once.
  if (config.algorithm == Algorithm::kAdaptive) return AdaptiveSearch(config, probe);
  if (config.algorithm == Algorithm::kAuto) {
    RunPool pool(probe);
    return AutoSearch(config, pool);
  }
  Prober prober(config, probe);
  Result result;
  auto finish = [&](Outcome outcome, std::string message) {
    result.outcome = outcome;
    result.message = std::move(message);
    result.runs = prober.runs();
    result.probes = prober.probes();
    result.interrupted = prober.interrupted();
    // A stopped search may have confirmed sets before the contradiction
    // showed; with a flaky target they are not to be trusted either.
    if (outcome != Outcome::kFound) result.sets.clear();
    return result;
  };

  // Which way is broken: Go's bisect runs "n" first, then "y".
  std::optional<Observation> n = prober.Run("n");
  std::optional<Observation> y = prober.Run("y");
  if (!n || !y) return finish(Outcome::kInconclusive, *prober.stop());
  if (n->failed == y->failed) {
    result.agreed_failing = n->failed;
    return finish(Outcome::kNotSensitive,
                  n->failed ? "target fails with all sites enabled and with all sites disabled"
                            : "target passes with all sites enabled and with all sites disabled");
  }

  Start start;
  start.invert = n->failed;
  start.broken = start.invert ? *n : *y;
  start.fixed = start.invert ? *y : *n;
  Ids all = n->reported;
  all.insert(all.end(), y->reported.begin(), y->reported.end());
  start.universe = SortedUnique(std::move(all));
  result.invert = start.invert;
  if (start.broken.reported.empty()) {
    return finish(Outcome::kInconclusive,
                  std::string("target fails under pattern ") + (start.invert ? "n" : "y") +
                      " but reported no site: it does not speak the bisect protocol");
  }

  Algorithm algorithm = config.algorithm;
  if (algorithm == Algorithm::kIdSplit && config.max_pattern_bytes > 0 &&
      protocol::PatternForIds(start.universe).size() > config.max_pattern_bytes) {
    algorithm = Algorithm::kSuffix;
    if (config.notice) {
      config.notice(std::to_string(start.universe.size()) +
                    " sites: a list of them all would be too long for one environment variable "
                    "(Linux takes 128 KiB); searching by hash suffixes, as Go's bisect does");
    }
  }
  bool too_large = false;
  switch (algorithm) {
    case Algorithm::kIdSplit:
      too_large = IdSplitSearch(prober, start, config.max_sets, config.max_set_size, result.sets);
      break;
    case Algorithm::kSuffix:
      too_large =
          SuffixSearch(prober, start, {}, config.max_sets, config.max_set_size, result.sets);
      break;
    case Algorithm::kAdaptive:  // returned above
    case Algorithm::kAuto:
      break;
  }
  if (prober.stop()) return finish(Outcome::kInconclusive, *prober.stop());
  if (too_large) {
    result.more_not_searched = true;
    const bool found_some = !result.sets.empty();
    return finish(found_some ? Outcome::kFound : Outcome::kInconclusive,
                  MaxSetStop(config.max_set_size, found_some));
  }
  if (result.sets.empty()) {
    return finish(Outcome::kInconclusive, "no failing set found although the target fails under " +
                                              std::string(start.invert ? "n" : "y"));
  }
  return finish(Outcome::kFound, "");
}

}  // namespace timerbisect::search
