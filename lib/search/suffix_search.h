// The baseline: Go's suffix bisection (golang.org/x/tools cmd/bisect,
// Bisect.search), reimplemented. It never names IDs while searching: a probe
// enables the sites whose IDs end in a binary suffix (plus the suffixes
// already known to be needed), and the reported IDs only tell which sites a
// suffix still matches. A set is named by hex suffixes just long enough to be
// unique among the sites "y" and "n" reported, plus one digit.
//
// Differences from Go, on purpose: the add/skip lists are values passed down
// the recursion instead of fields mutated through it, a stop is a return value
// instead of a panic, and a confirmation probe that passes ends the search as
// inconclusive (Go only logs it and reports the set anyway).
#pragma once

#include <vector>

#include "protocol/pattern.h"
#include "search/prober.h"
#include "search/start.h"

namespace timerbisect::search {

// Searches from `start.broken` with the sites in `excluded` skipped (a
// fallback from kIdSplit passes the sets it already found), appending each
// confirmed set to `sets` until none is left or `sets` holds `max_sets`
// (0: no limit). Stops through `prober`. Returns true when it stopped
// because a set would need more than `max_set_size` sites (0: no limit):
// Go's -maxset, which gives up a branch needing 2 + the sites already
// added, and then the search.
bool SuffixSearch(Prober& prober, const Start& start, const Ids& excluded, int max_sets,
                  int max_set_size, std::vector<ChangeSet>& sets);

// The number of hex digits that tells apart every ID in `ids`, plus one
// digit to spare, at most 16 (Go's skipHexDigits).
int SkipHexDigits(const Ids& ids);

// The longest suffix all of `ids` share (Go's commonSuffix).
protocol::Suffix CommonSuffix(const Ids& ids);

}  // namespace timerbisect::search
