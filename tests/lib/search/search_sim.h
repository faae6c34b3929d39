// A simulated target for the search tests and benchmarks: N sites with
// random 64-bit IDs, a culprit rule over the sites the pattern toggles, and
// the ways real targets misbehave (flaky failures, sites reached only when
// another site is on, sites reached only sometimes, sites whose ID changes
// every run). Counts its runs exactly. Also the brute-force reference: the
// minimal failing sets, by trying every subset.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "search/search.h"

namespace timerbisect::search::sim {

struct SimSpec {
  int sites = 16;
  std::uint64_t seed = 1;  // IDs and every random choice of the runs
  // The rule, a DNF over site indexes: the target fails iff every site of
  // some term is toggled. {{0, 1}, {2}} is "fails iff (0 && 1) || 2".
  std::vector<std::vector<int>> culprits;
  bool inverted = false;         // toggled means disabled instead of enabled
  double fail_rate = 1.0;        // chance a run fails when the rule holds
  double background_rate = 0.0;  // chance a run fails when it does not (a flake of its own)
  // Optional, one per culprit term: each term that holds fails the run at
  // its own rate (independently), instead of fail_rate for all.
  std::vector<double> term_rates;
  // Optional, per site. reached_via[i] = j >= 0 (j < i): site i is reached only
  // when site j is enabled. appear[i]: chance site i is reached in a run.
  std::vector<int> reached_via;
  std::vector<double> appear;
  int unstable_site = -1;          // this site gets a fresh ID every run
  std::vector<std::uint64_t> ids;  // fixed IDs instead of random ones
};

class SimulatedTarget {
 public:
  explicit SimulatedTarget(SimSpec spec);

  // One run under `pattern`; counts it.
  ProbeResult Run(const std::string& pattern);
  BatchProbe AsProbe() {
    return OneAtATime([this](const std::string& pattern) { return Run(pattern); });
  }

  int runs() const { return runs_; }
  // Patterns the protocol parser rejected (each such run fails); must be 0.
  int bad_patterns() const { return bad_patterns_; }
  const std::vector<std::uint64_t>& ids() const { return ids_; }
  // The IDs of the given site indexes, sorted.
  std::vector<std::uint64_t> IdsOf(const std::vector<int>& sites) const;
  // The culprit terms as sorted ID sets, sorted.
  std::vector<std::vector<std::uint64_t>> CulpritSets() const;

  // Whether the rule holds when the search's direction selects exactly
  // `sites` (no randomness, no run counted). Only for targets whose sites
  // are all stable and always reached unless they require another.
  bool RuleHoldsFor(const std::vector<int>& sites) const;

 private:
  SimSpec spec_;
  std::vector<std::uint64_t> ids_;
  std::mt19937_64 rng_;
  int runs_ = 0;
  int bad_patterns_ = 0;
};

// Brute-force reference: every minimal set of sites (as sorted IDs, sorted)
// whose toggling makes the deterministic rule hold. Sites <= 16.
std::vector<std::vector<std::uint64_t>> MinimalFailingSets(const SimulatedTarget& target,
                                                           int sites);

// Trials of a statistical test: `full` normally; a twentieth (at least 1)
// in sanitizer builds, where one adaptive search takes about 8 s instead of
// 0.5 s (ASan, lib/search at -O2) and what is checked is memory and thread
// safety, not the statistics.
inline int SimTrials(int full) {
#if TIMERBISECT_SANITIZED
  return full / 20 > 1 ? full / 20 : 1;
#else
  return full;
#endif
}

// Culprit terms of the given sizes over sites 0..n-1, disjoint: the sites
// shuffled by `rng` and taken in order.
std::vector<std::vector<int>> DisjointTerms(int n, const std::vector<int>& sizes,
                                            std::mt19937_64& rng);

// The sets of a result, as sorted ID sets, sorted.
std::vector<std::vector<std::uint64_t>> SetsOf(const Result& result);

}  // namespace timerbisect::search::sim
