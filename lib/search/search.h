// The bisection: which sites make a test fail. A pure function over a Probe
// callback (pattern in, pass/fail and reported site IDs out): no clock, no
// process, no global RNG, so every algorithm here runs against simulated
// targets in tests and benchmarks exactly as against real ones.
//
// Both algorithms start as Go's bisect does (golang.org/x/tools cmd/bisect):
// run "n" (every site off) and "y" (every site on). If both pass or both fail
// the target is not sensitive. If "n" passes and "y" fails, the search looks
// for a minimal set of sites whose ENABLING makes it fail; if "n" fails and
// "y" passes, it searches with "!" patterns for a minimal set whose DISABLING
// makes it fail (Result::invert). Each set found is confirmed by a verbose
// probe of exactly that set ("to avoid false accusations"), then excluded, and
// the search repeats while the target still fails with the found sets
// excluded, up to Config::max_sets sets.
//
// Algorithm::kSuffix is Go's suffix bisection, kept as the compatible
// baseline: it splits by the low bits of the IDs, never lists IDs, and uses
// the reported IDs only to tell whether a suffix still matches a site.
//
// Algorithm::kIdSplit (the default) takes the IDs that "y" and "n" reported as
// the universe and splits explicit ID lists in balanced halves. It finds a
// minimal failing subset with the classic recursion (if one half fails alone,
// recurse into it; else find the part needed from each half with the other
// half forced on), and, when one half passes, goes on into the other half
// without first probing it (for one culprit that half must fail; the guess is
// checked one level further down and undone if wrong). Every probe result is
// cached and checked against the earlier ones for monotonicity (a set that
// failed must not pass once more sites are added). Each set is confirmed and
// checked minimal (removing any one member makes the target pass). If the
// explicit universe does not reproduce the failure (sites appear or vanish
// between runs) it falls back to the suffix search for the remaining sets.
//
// Flakiness: with Config::count = N every probe runs N times. If the runs
// disagree, or a confirmation, minimality or monotonicity check contradicts
// what the search derived, the search ends kInconclusive with a one-line
// message and no sets. Every set reported failed in its confirmation, so it
// holds a real culprit. With count 1 nothing tells a run that passed by luck
// from a real pass: a flaky target can then still get a set with extra sites
// or miss a set (about 1 search in 10 at a 50-90% failure rate, against 1 in
// 6 for the suffix search); with count 3 none did in the tests. The adaptive
// mode (lib/stats) is the answer for flaky targets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace timerbisect::search {

struct ProbeResult {
  bool failed = false;
  std::vector<std::uint64_t> reported;  // IDs whose markers the run printed (dedup not required)
};

// Runs the target once under `pattern` (a full bisect-protocol pattern,
// prefixes included).
using Probe = std::function<ProbeResult(const std::string& pattern)>;

// Sent after every probe (a probe is Config::count runs of one pattern).
struct ProgressEvent {
  int probe = 0;  // 1-based
  std::string pattern;
  bool failed = false;
  int sites_in_play = 0;          // candidates the current step chooses among
  int estimated_probes_left = 0;  // for the current set; a rough guide, not a bound
};

enum class Algorithm { kIdSplit, kSuffix };

struct Config {
  Algorithm algorithm = Algorithm::kIdSplit;
  int count = 1;     // runs per probe; results must agree, else the search ends inconclusive
  int max_sets = 0;  // 0: find all sets
  std::function<void(const ProgressEvent&)> progress;  // optional
};

struct ChangeSet {
  std::vector<std::uint64_t> ids;  // sorted
  std::string pattern;  // selects exactly this set in the search's direction (reproduce command)
};

enum class Outcome { kFound, kNotSensitive, kInconclusive };

struct Result {
  Outcome outcome = Outcome::kInconclusive;
  bool invert = false;          // true: failure needs the sets DISABLED (patterns carry '!')
  std::vector<ChangeSet> sets;  // only with kFound
  int runs = 0;                 // target runs used (count included)
  int probes = 0;               // distinct probes (runs / count)
  std::string message;          // one line: why not sensitive / inconclusive
};

Result Search(const Config& config, const Probe& probe);

}  // namespace timerbisect::search
