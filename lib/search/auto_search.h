// Algorithm::kAuto, the default: the ID split, cheap on deterministic
// targets, and the adaptive search once the target shows itself flaky.
//
//  1. The ID split (search.h) runs "n" and "y" and searches.
//  2. When "n" and "y" agreed, a flaky culprit may have hidden: both run
//     again, up to AgreementCap(confidence) times each (agreement.h), before
//     "not timer-sensitive" stands. A disagreement makes the target flaky.
//  3. When sets were found, a sequential test on every run made so far (the
//     ID split's probes count, not only its confirmations): each set against
//     the reading "some of its sites are innocent, the rest fail at a rate
//     p", more runs of the set or of the set without some of its sites only
//     while that reading is too likely (auto_search.cc). A run the sets do
//     not explain (a set that passes, a run that fails toggling no set)
//     makes the target flaky. A deterministic target usually needs no
//     more runs for a one-site set and a few for a larger one; a set the ID
//     split got wrong by a lucky pass shows itself in those runs.
//  4. A flaky target (2., 3., or an ID split that ended inconclusive on a
//     contradiction) is searched again by the adaptive search, which starts
//     from every "n" and "y" run made so far instead of running them again
//     (run_pool.h).
// Result::runs counts every target run of all steps, reused ones once.
// Config::notice, when set, is told in one line what each extra step does.
#pragma once

#include "search/run_pool.h"
#include "search/search.h"

namespace timerbisect::search {

// Runs of each of "n" and "y" before they are believed to agree: a failure
// at rate 1/2 goes unseen in all of them with probability at most
// (1 - confidence) / 2 (8 at the default 0.99).
int AgreementCap(double confidence);

// `pool` carries the probe and any runs offered beforehand (triage's).
Result AutoSearch(const Config& config, RunPool& pool);

}  // namespace timerbisect::search
