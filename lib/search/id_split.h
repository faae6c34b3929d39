// The default search: balanced splits of explicit ID lists (see search.h).
#pragma once

#include <vector>

#include "search/prober.h"
#include "search/start.h"

namespace timerbisect::search {

// Searches the sites `start` reported, appending each confirmed, minimal set
// to `sets` until the target passes with all of them excluded or `sets` holds
// `max_sets` (0: no limit). Falls back to SuffixSearch when the listed sites
// do not reproduce the failure. Stops through `prober`. Returns true when it
// stopped because the next set needs more than `max_set_size` sites (0: no
// limit), as Go's -maxset does.
bool IdSplitSearch(Prober& prober, const Start& start, int max_sets, int max_set_size,
                   std::vector<ChangeSet>& sets);

}  // namespace timerbisect::search
