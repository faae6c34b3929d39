// The start of a search, made safe for flaky targets. When one run of all
// old ("n") and one of all new ("y") agree, the deterministic searches stop
// there: "not timer-sensitive". A target whose culprit fails half of its
// runs agrees that way half of the time. Before saying so, more runs of
// both, in batches of up to `parallelism` runs, until a
// disagreement shows the target is flaky, or `cap` runs of each agreed
// (a failure at rate p goes unseen in all of them with probability
// (1-p)^cap: 8 runs miss a 50%-flaky culprit 0.4% of the time).
#pragma once

#include <functional>

#include "search/search.h"

namespace timerbisect::search {

struct Agreement {
  bool flaky = false;  // some run disagreed with the first ones
  int n_runs = 0, n_failures = 0;
  int y_runs = 0, y_failures = 0;
  int runs = 0;              // runs made here
  bool interrupted = false;  // the probe answered short: nothing is decided
};

// `first_failed`: what the first "n" and "y" both did. `run` runs a batch
// (up to `parallelism` runs at once are asked for). Stops early once a run
// disagrees. `progress` (optional) hears of each run as a check run,
// numbered from 1.
Agreement CheckAgreement(const BatchProbe& run, int parallelism, bool first_failed, int cap,
                         const std::function<void(const ProgressEvent&)>& progress = nullptr);

}  // namespace timerbisect::search
