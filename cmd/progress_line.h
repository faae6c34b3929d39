// One progress line per probe, for a person watching a search:
//   timerbisect: probe 6 (12 suspected): 3 sites new, the rest old: FAIL,
//   ~4 more for this set; 0:07 elapsed, ~0:05 left
// and one per run of the reproduce check:
//   timerbisect: check run 2: 2 sites new, the rest old: FAIL; 0:09 elapsed
// Shim targets speak of old and new semantics; protocol targets of changes
// enabled and disabled. The pattern itself is shown only with -v.
#pragma once

#include <chrono>
#include <string>

#include "search/search.h"

namespace timerbisect::cmd {

// What a pattern asks for, in words: "all sites new", "3 sites old, the rest
// new", "all changes enabled", "a subset of sites new".
std::string DescribePattern(const std::string& pattern, bool shim);

// "0:07", "12:30", "1:02:03".
std::string FormatClock(std::chrono::seconds elapsed);

class ProgressLine {
 public:
  // `started`: where "elapsed" counts from (the session's start, so every
  // line of one command, triage's and its bisect's, shares one clock).
  ProgressLine(bool shim, bool verbose,
               std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now())
      : shim_(shim), verbose_(verbose), started_(started) {}
  // The line for one probe, newline included.
  std::string Format(const search::ProgressEvent& event) const;

 private:
  bool shim_;
  bool verbose_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace timerbisect::cmd
