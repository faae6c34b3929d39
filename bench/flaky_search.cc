// The adaptive search (Algorithm::kAdaptive; --algorithm=auto for the
// default, which starts with the ID split) on flaky simulated targets:
// N sites, k culprits failing a fraction p of the runs they are toggled in,
// a background failure rate q in every other run. Per cell, over --trials
// seeded targets: how often it names exactly the culprit sets (exact), how
// often it reports a set that is not one (wrong: the number that must stay
// at or below 1%), how often it ends inconclusive or "not sensitive", and
// the runs it used (mean, p90, and the mean spent deciding the direction),
// beside the reference numbers of docs/DESIGN.md (a Bayesian group-testing
// search that is told p and q, direction runs not counted). Runs are every
// run Search() makes: direction, search, confirmation and minimality runs,
// the check for more sets. Go bisect's own algorithm (the suffix search with
// its checks, at its command line's default -count 2: a trial whose two
// runs disagree ends the search, "target fails inconsistently") runs on the
// same targets in the same process: go_runs, go_exact, go_wrong and
// ratio = runs_mean / go_runs (Go stops early on flaky targets, so a ratio
// above 1 there buys an answer Go does not give). The last benchmark is a
// target failing 20% of runs whatever the sites: any "found" there is a
// false positive. Counters, not times.
//
//   build/bench/flaky_search --benchmark_counters_tabular=true [--trials=200]
//       [--algorithm=adaptive|auto]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "search/search.h"
#include "search_sim.h"

namespace timerbisect::search {
namespace {

int g_trials = 200;
Algorithm g_algorithm = Algorithm::kAdaptive;

// k disjoint culprit terms of `term` sites each, chosen per seed.
std::vector<std::vector<int>> Culprits(int n, int k, int term, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x5851f42d4c957f2dull);
  return sim::DisjointTerms(n, std::vector<int>(static_cast<std::size_t>(k), term), rng);
}

// The reference's mean probes (DESIGN.md), 0 where it gives none.
double Reference(int k, int term, double p, double q) {
  if (term != 1) return 0;
  if (p == 0.5 && q == 0) return k == 1 ? 21 : 46;
  if (p == 0.5 && q == 0.05) return k == 1 ? 33 : 76;
  if (p == 0.9 && q == 0 && k == 1) return 8.4;
  return 0;
}

struct Tally {
  int exact = 0, wrong = 0, inconclusive = 0, not_sensitive = 0, found = 0;
  std::vector<int> runs;
  double direction_runs = 0;
  int go_exact = 0, go_wrong = 0;
  double go_runs = 0;
};

// Whether the result names exactly `truth`, and whether it names a set that
// is not one of them.
void Score(const Result& result, const std::vector<std::vector<std::uint64_t>>& truth, int& exact,
           int& wrong) {
  if (result.outcome != Outcome::kFound) return;
  auto sets = sim::SetsOf(result);
  exact += sets == truth;
  wrong += std::any_of(sets.begin(), sets.end(), [&](const auto& s) {
    return std::find(truth.begin(), truth.end(), s) == truth.end();
  });
}

// Go's bisect on the same target: the suffix search, -count 2.
void GoTrial(const sim::SimSpec& spec, Tally& tally) {
  sim::SimulatedTarget target(spec);
  Config config;
  config.algorithm = Algorithm::kSuffix;
  config.count = 2;
  Result result = Search(config, target.AsProbe());
  tally.go_runs += result.runs;
  Score(result, target.CulpritSets(), tally.go_exact, tally.go_wrong);
}

// One search; `culprits` empty: the target ignores the sites.
void Trial(int n, const std::vector<std::vector<int>>& culprits, double p, double q,
           std::uint64_t seed, Tally& tally) {
  sim::SimSpec spec;
  spec.sites = n;
  spec.seed = seed;
  spec.culprits = culprits;
  spec.fail_rate = p;
  spec.background_rate = q;
  sim::SimulatedTarget target(spec);
  Config config;
  config.algorithm = g_algorithm;
  int direction = -1;
  config.progress = [&](const ProgressEvent& e) {
    if (direction < 0 && !e.check && e.pattern != "y" && e.pattern != "n") direction = e.probe - 1;
  };
  Result result = Search(config, target.AsProbe());
  tally.runs.push_back(result.runs);
  tally.direction_runs += direction < 0 ? result.runs : direction;
  Score(result, target.CulpritSets(), tally.exact, tally.wrong);
  GoTrial(spec, tally);
  switch (result.outcome) {
    case Outcome::kFound:
      ++tally.found;
      break;
    case Outcome::kNotSensitive:
      ++tally.not_sensitive;
      break;
    case Outcome::kInconclusive:
      ++tally.inconclusive;
      break;
  }
}

void Report(benchmark::State& state, const Tally& t, int trials) {
  std::vector<int> runs = t.runs;
  std::sort(runs.begin(), runs.end());
  double mean = 0;
  for (int r : runs) mean += r;
  mean /= trials;
  state.counters["trials"] = trials;
  state.counters["exact"] = static_cast<double>(t.exact) / trials;
  state.counters["wrong"] = static_cast<double>(t.wrong) / trials;
  state.counters["inconcl"] = static_cast<double>(t.inconclusive) / trials;
  state.counters["not_sens"] = static_cast<double>(t.not_sensitive) / trials;
  state.counters["runs_mean"] = mean;
  state.counters["runs_p90"] = runs[static_cast<std::size_t>(0.9 * (trials - 1))];
  state.counters["dir_runs"] = t.direction_runs / trials;
  state.counters["go_runs"] = t.go_runs / trials;
  state.counters["go_exact"] = static_cast<double>(t.go_exact) / trials;
  state.counters["go_wrong"] = static_cast<double>(t.go_wrong) / trials;
  state.counters["ratio"] = t.go_runs > 0 ? mean * trials / t.go_runs : 0;
}

// args: N, k, sites per culprit term, p in percent, q in percent.
void BM_FlakySearch(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  int k = static_cast<int>(state.range(1));
  int term = static_cast<int>(state.range(2));
  double p = static_cast<double>(state.range(3)) / 100;
  double q = static_cast<double>(state.range(4)) / 100;
  Tally tally;
  for (auto _ : state) {
    tally = {};
    for (int seed = 1; seed <= g_trials; ++seed) {
      Trial(n, Culprits(n, k, term, static_cast<std::uint64_t>(seed)), p, q,
            static_cast<std::uint64_t>(seed), tally);
    }
  }
  Report(state, tally, g_trials);
  state.counters["p"] = p;
  state.counters["q"] = q;
  state.counters["ref_runs"] = Reference(k, term, p, q);
}

BENCHMARK(BM_FlakySearch)
    ->ArgNames({"N", "k", "term", "p%", "q%"})
    ->ArgsProduct({{90}, {1, 2}, {1}, {100, 90, 50, 20}, {0, 5}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Sites that fail only together: one pair.
BENCHMARK(BM_FlakySearch)
    ->ArgNames({"N", "k", "term", "p%", "q%"})
    ->ArgsProduct({{90}, {1}, {2}, {90, 50}, {0}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Sites that fail only all three together (found once a pair of them leads
// and is grown into the triple).
BENCHMARK(BM_FlakySearch)
    ->ArgNames({"N", "k", "term", "p%", "q%"})
    ->ArgsProduct({{90}, {1}, {3}, {100, 90, 50}, {0}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// A target failing `rate` percent of runs whatever the sites.
void BM_SiteIndependentFlake(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  double rate = static_cast<double>(state.range(1)) / 100;
  Tally tally;
  for (auto _ : state) {
    tally = {};
    for (int seed = 1; seed <= g_trials; ++seed) {
      Trial(n, {}, 0, rate, static_cast<std::uint64_t>(seed), tally);
    }
  }
  Report(state, tally, g_trials);
  state.counters["false_pos"] = static_cast<double>(tally.found) / g_trials;
}

BENCHMARK(BM_SiteIndependentFlake)
    ->ArgNames({"N", "rate%"})
    ->Args({90, 20})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace timerbisect::search

int main(int argc, char** argv) {
  // --trials=N and --algorithm=NAME are ours; the rest goes to Google
  // Benchmark.
  using timerbisect::search::Algorithm;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--trials=", 9) == 0) {
      timerbisect::search::g_trials = std::max(1, std::atoi(argv[i] + 9));
    } else if (std::strcmp(argv[i], "--algorithm=auto") == 0) {
      timerbisect::search::g_algorithm = Algorithm::kAuto;
    } else if (std::strcmp(argv[i], "--algorithm=adaptive") == 0) {
      timerbisect::search::g_algorithm = Algorithm::kAdaptive;
    } else if (std::strncmp(argv[i], "--algorithm=", 12) == 0) {
      std::fprintf(stderr, "flaky_search: unknown %s: use --algorithm=adaptive or auto\n", argv[i]);
      return 2;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
