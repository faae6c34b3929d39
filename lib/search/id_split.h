// The default search: balanced splits of explicit ID lists (see search.h).
#pragma once

#include <vector>

#include "search/prober.h"
#include "search/start.h"

namespace timerbisect::search {

// Searches the sites `start` reported, appending each confirmed, minimal set
// to `sets` until the target passes with all of them excluded or `sets` holds
// `max_sets` (0: no limit). Falls back to SuffixSearch when the listed sites
// do not reproduce the failure. Stops through `prober`.
void IdSplitSearch(Prober& prober, const Start& start, int max_sets, std::vector<ChangeSet>& sets);

}  // namespace timerbisect::search
