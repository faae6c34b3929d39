// What the "n" and "y" runs established, handed to either algorithm.
#pragma once

#include "search/prober.h"

namespace timerbisect::search {

struct Start {
  bool invert = false;  // the search names sites to disable ('!' patterns)
  Observation broken;   // the failing one of "y" / "n"
  Observation fixed;    // the passing one
  Ids universe;         // every ID either run reported
};

}  // namespace timerbisect::search
