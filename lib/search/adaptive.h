// The adaptive search for flaky targets (Algorithm::kAdaptive; the spec is in
// search.h). Probes are noisy tests; the search keeps a posterior and stops
// on confidence, not on agreement between runs.
#pragma once

#include "search/search.h"

namespace timerbisect::search {

// Measures "y" and "n", decides the direction, then finds each set (see
// search.h). Asks `probe` for up to config.parallelism runs at once.
Result AdaptiveSearch(const Config& config, const BatchProbe& probe);

}  // namespace timerbisect::search
