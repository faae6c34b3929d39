// How many target runs each search needs, on simulated targets with N sites
// and k culprits, beside the information bound log2 C(N,k) + k (telling
// which k of N sites, plus about one run per set to learn that no further
// set exists). Every run Search() makes is counted: "n" and "y", the
// search's probes, each set's confirmation and minimality runs and the
// check for more sets; for the default (Algorithm::kAuto, what the driver
// runs) also its check that each set reproduces (auto_search.h). The driver
// adds one native run to either. Go bisect's own algorithm (the suffix search, which
// does what golang.org/x/tools/cmd/bisect does, its checks included) runs
// on the same targets in the same process; ratio = default / Go. Then Go's
// own testdata scenarios (cmd/bisect/testdata: 90 changes named by colors,
// IDs 0..89, a failure rule over them). The numbers are counters; the times
// measure the simulator, not a target, and mean nothing.
//
//   build/bench/search_cost --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "search/search.h"
#include "search_sim.h"

namespace timerbisect::search {
namespace {

constexpr int kSeeds = 50;

// log2 of the number of ways to pick k disjoint terms of t sites among n:
// n! / ((n - kt)! (t!)^k k!), which is C(n, k) for t = 1.
double Log2Choices(int n, int k, int t) {
  double ln = std::lgamma(n + 1.0) - std::lgamma(n - k * t + 1.0) - k * std::lgamma(t + 1.0) -
              std::lgamma(k + 1.0);
  return ln / std::log(2.0);
}

// Picks the culprit terms for one seed: k terms of `term_size` distinct sites.
std::vector<std::vector<int>> Culprits(int n, int k, int term_size, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  return sim::DisjointTerms(n, std::vector<int>(static_cast<std::size_t>(k), term_size), rng);
}

// args: N, k, sites per culprit term (1: k independent culprits, the target
// fails if any is enabled; 2: it fails when both sites of a pair are).
void BM_SearchCost(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  int k = static_cast<int>(state.range(1));
  int term_size = static_cast<int>(state.range(2));
  double runs[2] = {0, 0};
  int exact[2] = {0, 0};
  for (auto _ : state) {
    runs[0] = runs[1] = 0;
    exact[0] = exact[1] = 0;
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
      sim::SimSpec spec;
      spec.sites = n;
      spec.seed = seed;
      spec.culprits = Culprits(n, k, term_size, seed);
      for (int a = 0; a < 2; ++a) {
        Config config;
        config.algorithm = a == 0 ? Algorithm::kAuto : Algorithm::kSuffix;
        sim::SimulatedTarget target(spec);
        Result result = Search(config, target.AsProbe());
        runs[a] += result.runs;
        exact[a] +=
            result.outcome == Outcome::kFound && sim::SetsOf(result) == target.CulpritSets();
      }
    }
  }
  state.counters["N"] = n;
  state.counters["k"] = k;
  state.counters["default_runs"] = runs[0] / kSeeds;
  state.counters["go_runs"] = runs[1] / kSeeds;
  state.counters["ratio"] = runs[0] / runs[1];
  state.counters["bound"] = Log2Choices(n, k, term_size) + k;
  state.counters["default_exact"] = static_cast<double>(exact[0]) / kSeeds;
  state.counters["go_exact"] = static_cast<double>(exact[1]) / kSeeds;
}

BENCHMARK(BM_SearchCost)
    ->ArgNames({"N", "k", "term"})
    ->ArgsProduct({{16, 90, 1000}, {1, 2, 3}, {1}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Conjunctions: k pairs, each failing only when both of its sites are on.
BENCHMARK(BM_SearchCost)
    ->ArgNames({"N", "k", "term"})
    ->ArgsProduct({{16, 90, 1000}, {1, 2}, {2}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Larger conjunctions: one set of three or four sites that fail only all
// together (Go's testdata has both, in maxset4).
BENCHMARK(BM_SearchCost)
    ->ArgNames({"N", "k", "term"})
    ->ArgsProduct({{16, 90, 1000}, {1}, {3, 4}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Go's cmd/bisect testdata scenarios, as its test target runs them: change
// i is the i-th of 90 colors with ID i, and the target fails when the rule
// (a DNF over colors) holds for the changes toggled. Go's test runs each
// trial once (Count 0 counts as 1), except count2 and rand2. Its "random"
// term holds in half of the runs, drawn afresh each run: those scenarios
// are averaged over kSeeds seeded targets, the others are deterministic.
struct GoScenario {
  const char* name;
  std::vector<std::vector<int>> fail;  // site indexes (colors)
  bool negate = false;                 // "!color": fails when disabled
  int count = 1;
  int max_sets = 0;                // Go's -max
  int max_set_size = 0;            // Go's -maxset
  std::vector<double> rates = {};  // per term; empty: every term fails every run
};

// amber 2, apricot 6, black 12, blue 13, cyan 32, green 39, magenta 49,
// peach 59, red 69, yellow 89.
const std::vector<GoScenario>& GoScenarios() {
  static const std::vector<std::vector<int>> four_sets = {
      {2}, {6, 59}, {69, 39, 13}, {32, 49, 89, 12}};
  static const std::vector<GoScenario> scenarios = {
      {.name = "basic", .fail = {{2}, {6}}},                       // amber || apricot
      {.name = "count2", .fail = {{2}, {6}}, .count = 2},          // the same, Count 2
      {.name = "double", .fail = {{2}, {6, 59}}},                  // amber || apricot && peach
      {.name = "negate", .fail = {{2}, {6, 59}}, .negate = true},  // the same, all negated
      {.name = "maxset4", .fail = four_sets},  // amber || apricot && peach || 3 || 4 colors
      {.name = "max1", .fail = {{2}, {6, 59}}, .max_sets = 1},    // double's rule, Max 1
      {.name = "max2", .fail = four_sets, .max_sets = 2},         // maxset4's rule, Max 2
      {.name = "maxset", .fail = four_sets, .max_set_size = 3},   // maxset4's rule, MaxSet 3
      {.name = "maxset1", .fail = {{6, 59}}, .max_set_size = 1},  // apricot && peach, MaxSet 1
      // amber || apricot || blue && random
      {.name = "rand", .fail = {{2}, {6}, {13}}, .rates = {1, 1, 0.5}},
      {.name = "rand1", .fail = {{13}}, .rates = {0.5}},              // blue && random
      {.name = "rand2", .fail = {{13}}, .count = 2, .rates = {0.5}},  // the same, Count 2
  };
  return scenarios;
}

// Whether the result names exactly the rule's sets; with -max, max_sets of
// them and nothing else.
bool ExactWithin(const Result& result, const sim::SimulatedTarget& target,
                 const GoScenario& scenario) {
  std::vector<std::vector<std::uint64_t>> got = sim::SetsOf(result), want = target.CulpritSets();
  if (scenario.max_set_size > 0) {
    // Sets of that size or less, and nothing else; none when every set is
    // larger (Go: "cannot find any failing change sets of size ≤ S").
    std::erase_if(want, [&](const auto& set) {
      return static_cast<int>(set.size()) > scenario.max_set_size;
    });
    if (want.empty()) return got.empty() && result.outcome == Outcome::kInconclusive;
    return result.outcome == Outcome::kFound && !got.empty() &&
           std::includes(want.begin(), want.end(), got.begin(), got.end());
  }
  if (result.outcome != Outcome::kFound) return false;
  if (scenario.max_sets == 0) return got == want;
  return static_cast<int>(got.size()) == scenario.max_sets &&
         std::includes(want.begin(), want.end(), got.begin(), got.end());
}

// args: index into GoScenarios(). Counters: mean runs and the share of
// trials that found exactly the rule's sets (see ExactWithin).
void BM_GoScenario(benchmark::State& state) {
  const GoScenario& scenario = GoScenarios()[static_cast<std::size_t>(state.range(0))];
  const int trials = scenario.rates.empty() ? 1 : kSeeds;
  double runs[2] = {0, 0};
  double exact[2] = {0, 0};
  for (auto _ : state) {
    runs[0] = runs[1] = exact[0] = exact[1] = 0;
    for (int trial = 1; trial <= trials; ++trial) {
      sim::SimSpec spec;
      spec.sites = 90;
      spec.seed = static_cast<std::uint64_t>(trial);
      for (std::uint64_t id = 0; id < 90; ++id) spec.ids.push_back(id);
      spec.culprits = scenario.fail;
      spec.inverted = scenario.negate;
      spec.term_rates = scenario.rates;
      for (int a = 0; a < 2; ++a) {
        Config config;
        config.algorithm = a == 0 ? Algorithm::kAuto : Algorithm::kSuffix;
        config.count = a == 0 ? 1 : scenario.count;
        config.max_sets = scenario.max_sets;
        config.max_set_size = scenario.max_set_size;
        sim::SimulatedTarget target(spec);
        Result result = Search(config, target.AsProbe());
        runs[a] += result.runs;
        exact[a] += ExactWithin(result, target, scenario);
      }
    }
  }
  state.SetLabel(scenario.name);
  state.counters["default_runs"] = runs[0] / trials;
  state.counters["go_runs"] = runs[1] / trials;
  state.counters["ratio"] = runs[0] / runs[1];
  state.counters["default_exact"] = exact[0] / trials;
  state.counters["go_exact"] = exact[1] / trials;
}

BENCHMARK(BM_GoScenario)
    ->DenseRange(0, static_cast<int>(GoScenarios().size()) - 1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace timerbisect::search

BENCHMARK_MAIN();
