// The adaptive search (Algorithm::kAdaptive) on simulated targets with 90
// sites: deterministic ones found exactly, flaky ones (culprit rate p,
// background rate q) found in nearly every seeded trial and never with a
// wrong set, site-independent flakes never blamed on a site, budgets ending
// inconclusive with a way forward, and batches for -j.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "protocol/matcher.h"
#include "protocol/pattern.h"
#include "search/prober.h"
#include "search/search.h"
#include "search_sim.h"

namespace timerbisect::search {
namespace {

using sim::SetsOf;
using sim::SimSpec;
using sim::SimulatedTarget;

constexpr int kSites = 90;

// k culprit terms of `term` distinct sites each, chosen by the seed.
std::vector<std::vector<int>> Culprits(int k, int term, std::uint64_t seed) {
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + 7);
  return sim::DisjointTerms(kSites, std::vector<int>(static_cast<std::size_t>(k), term), rng);
}

SimSpec Spec(std::vector<std::vector<int>> culprits, double p, double q, std::uint64_t seed) {
  SimSpec spec;
  spec.sites = kSites;
  spec.seed = seed;
  spec.culprits = std::move(culprits);
  spec.fail_rate = p;
  spec.background_rate = q;
  return spec;
}

Config Adaptive() {
  Config config;
  config.algorithm = Algorithm::kAdaptive;
  return config;
}

// Runs the search and checks what holds of every adaptive search: valid
// patterns, runs counted exactly (one progress event each, each expecting
// at least itself and at most what the budget leaves: the progress line
// never says "~0 more" while the search goes on, as it did while deciding
// the direction and while confirming a set), sets sorted with
// patterns selecting exactly them, a confidence on each, the rates of "y"
// and "n" measured, and no sets unless found.
Result RunSearch(SimulatedTarget& target, Config config) {
  int events = 0;
  config.progress = [&](const ProgressEvent& e) {
    ++events;
    EXPECT_EQ(e.probe, events);
    EXPECT_GE(e.estimated_probes_left, 1) << "probe " << e.probe;
    const int budget = config.max_runs > 0 ? config.max_runs : 400;
    EXPECT_LE(e.estimated_probes_left, budget - e.probe + 1) << "probe " << e.probe;
  };
  Result result = Search(config, target.AsProbe());
  EXPECT_EQ(target.bad_patterns(), 0);
  EXPECT_EQ(result.runs, target.runs());
  EXPECT_EQ(result.probes, result.runs);
  EXPECT_EQ(events, result.runs);
  EXPECT_GE(result.rates.size(), 2u);
  if (result.rates.size() >= 2) {
    EXPECT_EQ(result.rates[0].pattern, "y");
    EXPECT_EQ(result.rates[1].pattern, "n");
    EXPECT_GT(result.rates[0].runs, 0);
  }
  for (const ChangeSet& set : result.sets) {
    EXPECT_TRUE(std::is_sorted(set.ids.begin(), set.ids.end()));
    EXPECT_EQ(set.pattern, protocol::PatternForIds(set.ids, result.invert));
    EXPECT_GT(set.confidence, 0.97);
    EXPECT_LE(set.confidence, 1.0);
  }
  if (result.outcome == Outcome::kFound) {
    EXPECT_FALSE(result.sets.empty());
    EXPECT_TRUE(result.message.empty());
  } else {
    EXPECT_TRUE(result.sets.empty());
    EXPECT_FALSE(result.message.empty());
  }
  return result;
}

// Whether every reported set is one of the target's culprit sets.
bool NoWrongSet(const Result& result, const SimulatedTarget& target) {
  auto truth = target.CulpritSets();
  return std::all_of(result.sets.begin(), result.sets.end(), [&](const ChangeSet& s) {
    return std::find(truth.begin(), truth.end(), s.ids) != truth.end();
  });
}

TEST(AdaptiveSearch, DeterministicTargets_FoundExactly) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    for (auto [k, term] : {std::pair{1, 1}, std::pair{2, 1}, std::pair{1, 2}}) {
      SimulatedTarget target(Spec(Culprits(k, term, seed), 1.0, 0.0, seed));
      Result result = RunSearch(target, Adaptive());
      ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
      EXPECT_EQ(SetsOf(result), target.CulpritSets()) << "seed " << seed << " k " << k;
      EXPECT_FALSE(result.invert);
    }
  }
}

TEST(AdaptiveSearch, InvertedTarget_FoundWithBangPatterns) {
  SimSpec spec = Spec({{17}}, 0.9, 0.0, 3);
  spec.inverted = true;
  SimulatedTarget target(spec);
  Result result = RunSearch(target, Adaptive());
  ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
  EXPECT_TRUE(result.invert);
  EXPECT_EQ(SetsOf(result), target.CulpritSets());
  EXPECT_EQ(result.sets[0].pattern.front(), '!');
}

TEST(AdaptiveSearch, FoundSet_WasConfirmedByAVerboseRunOfExactlyIt) {
  SimulatedTarget target(Spec({{42}}, 0.5, 0.0, 11));
  std::vector<std::string> patterns;
  Config config = Adaptive();
  Probe probe = [&](const std::string& pattern) {
    patterns.push_back(pattern);
    return target.Run(pattern);
  };
  Result result = Search(config, OneAtATime(probe));
  ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
  std::string verbose = protocol::PatternForIds(result.sets[0].ids, false, true);
  EXPECT_NE(std::find(patterns.begin(), patterns.end(), verbose), patterns.end());
  // The set's own rate is among the measured ones, with a failing run.
  auto it = std::find_if(result.rates.begin(), result.rates.end(), [&](const MeasuredRate& r) {
    return r.pattern == result.sets[0].pattern;
  });
  ASSERT_NE(it, result.rates.end());
  EXPECT_GE(it->failures, 1);
  EXPECT_LE(it->low, it->high);
}

struct Tally {
  int trials = 0, exact = 0, wrong = 0;
};

Tally RunTrials(int k, int term, double p, double q, int trials) {
  Tally tally;
  for (int seed = 1; seed <= trials; ++seed) {
    auto s = static_cast<std::uint64_t>(seed);
    SimulatedTarget target(Spec(Culprits(k, term, s), p, q, s + 1000));
    Result result = RunSearch(target, Adaptive());
    ++tally.trials;
    tally.exact += result.outcome == Outcome::kFound && SetsOf(result) == target.CulpritSets();
    tally.wrong += !NoWrongSet(result, target);
  }
  return tally;
}

// The design's bar: >= 95% exact at p = 0.5 in each cell, and at most 1%
// wrong over the cells. Seeds are fixed, so the bound is exact, not a
// chance. A wrong set is rare, not impossible: a set settles at 99.75%
// posterior, so with q = 5% an innocent site whose runs kept failing by
// chance can still settle (1 of 240 searches of one culprit, seed 176, none
// of these).
TEST(AdaptiveSearch, HalfFailingCulprits_FoundNearlyAlwaysRarelyWrong) {
  int trials = 0, wrong = 0;
  for (double q : {0.0, 0.05}) {
    for (int k : {1, 2}) {
      Tally t = RunTrials(k, 1, 0.5, q, sim::SimTrials(40));
      EXPECT_GE(t.exact, t.trials - std::max(1, t.trials / 20)) << "k " << k << " q " << q;
      trials += t.trials;
      wrong += t.wrong;
    }
  }
  EXPECT_LE(wrong * 100, trials) << wrong << " wrong of " << trials;
}

// After a set is found, the next round's q comes from the cells given that
// set, near 0 here, so an innocent site whose few probes had failed by
// chance used to settle as a further set on one failing run of it (seed 6
// named one). A further set's own runs must now fail above the rate of the
// runs that toggled neither it nor the set found.
TEST(AdaptiveSearch, FurtherSiteWhoseProbesFailedByChance_NotReported) {
  const std::uint64_t seed = 6;
  SimulatedTarget target(Spec(Culprits(1, 1, seed), 0.5, 0.05, seed + 1000));
  Result result = RunSearch(target, Adaptive());
  EXPECT_EQ(result.outcome, Outcome::kFound) << result.message;
  EXPECT_EQ(SetsOf(result), target.CulpritSets());
}

TEST(AdaptiveSearch, OtherRates_NeverAWrongSet) {
  for (double p : {1.0, 0.9, 0.2}) {
    for (double q : {0.0, 0.05}) {
      for (int k : {1, 2}) {
        Tally t = RunTrials(k, 1, p, q, sim::SimTrials(p == 0.2 ? 10 : 20));
        EXPECT_EQ(t.wrong, 0) << "p " << p << " q " << q << " k " << k;
        if (p >= 0.9) {
          EXPECT_GE(t.exact, t.trials - 1) << "p " << p << " q " << q << " k " << k;
        }
      }
    }
  }
}

TEST(AdaptiveSearch, SitesFailingOnlyTogether_FoundAsOnePair) {
  Tally t = RunTrials(1, 2, 0.5, 0.0, sim::SimTrials(20));
  EXPECT_GE(t.exact, t.trials - 1);
  EXPECT_EQ(t.wrong, 0);
}

// A failure that needs three or four sites at once: the subset hypotheses
// are one or two sites, so such a set is weighed only once a pair of it
// leads and is grown (it used to end every search inconclusive).
TEST(AdaptiveSearch, SitesFailingOnlyAsThreeOrFour_FoundAsOneSet) {
  for (auto [term, seed] : {std::pair{3, 1}, std::pair{3, 2}, std::pair{4, 3}}) {
    SimulatedTarget target(Spec(Culprits(1, term, seed), 1.0, 0.0, seed));
    Result result = RunSearch(target, Adaptive());
    ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
    EXPECT_EQ(SetsOf(result), target.CulpritSets()) << "seed " << seed;
  }
}

// A grown set is confirmed as a pair is: a verbose run of exactly its list
// (which shows its stacks), and without each member it passes.
TEST(AdaptiveSearch, GrownSet_ConfirmedByAVerboseRunAndCheckedMinimal) {
  SimulatedTarget target(Spec(Culprits(1, 3, 4), 1.0, 0.0, 4));
  std::vector<std::string> patterns;
  Probe probe = [&](const std::string& pattern) {
    patterns.push_back(pattern);
    return target.Run(pattern);
  };
  Result result = Search(Adaptive(), OneAtATime(probe));
  ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
  ASSERT_EQ(SetsOf(result), target.CulpritSets());
  const Ids& set = result.sets[0].ids;
  auto ran = [&](const std::string& p) {
    return std::find(patterns.begin(), patterns.end(), p) != patterns.end();
  };
  EXPECT_TRUE(ran(protocol::PatternForIds(set, false, true)));
  for (std::uint64_t id : set) {
    EXPECT_TRUE(ran(protocol::PatternForIds(Minus(set, {id}), false))) << "without " << id;
  }
}

TEST(AdaptiveSearch, SiteIndependentFlake_NeverFound) {
  int not_sensitive = 0;
  const int seeds = sim::SimTrials(20);
  for (int seed = 1; seed <= seeds; ++seed) {
    SimulatedTarget target(Spec({}, 0.0, 0.2, static_cast<std::uint64_t>(seed)));
    Result result = RunSearch(target, Adaptive());
    EXPECT_NE(result.outcome, Outcome::kFound) << "seed " << seed;
    not_sensitive += result.outcome == Outcome::kNotSensitive;
    if (result.outcome == Outcome::kNotSensitive) {
      EXPECT_NE(result.message.find("y failed"), std::string::npos) << result.message;
      EXPECT_NE(result.message.find("n failed"), std::string::npos) << result.message;
    }
  }
  EXPECT_GE(not_sensitive, seeds / 2);
}

TEST(AdaptiveSearch, AlwaysPassingOrAlwaysFailing_NotSensitive) {
  for (double rate : {0.0, 1.0}) {
    SimulatedTarget target(Spec({}, 0.0, rate, 5));
    Result result = RunSearch(target, Adaptive());
    EXPECT_EQ(result.outcome, Outcome::kNotSensitive) << result.message;
    EXPECT_EQ(result.rates[0].failures, rate == 1.0 ? result.rates[0].runs : 0);
  }
}

TEST(AdaptiveSearch, SmallBudget_InconclusiveSayingHowManyMoreRuns) {
  SimulatedTarget target(Spec({{3}}, 0.3, 0.05, 9));
  Config config = Adaptive();
  config.max_runs = 30;
  Result result = RunSearch(target, config);
  EXPECT_EQ(result.outcome, Outcome::kInconclusive);
  EXPECT_EQ(result.runs, 30);
  EXPECT_NE(result.message.find("more runs"), std::string::npos) << result.message;
}

// A budget spent while a further set leads but its own runs have not yet
// failed clearly above the background: the message says what is missing,
// not a posterior short of the threshold (it is past it). Seed 24 ends so.
TEST(AdaptiveSearch, SmallBudget_FurtherSetNotYetAboveBackground_SaysSo) {
  const std::uint64_t seed = 24;
  SimulatedTarget target(Spec(Culprits(2, 1, seed), 0.5, 0.05, seed + 1000));
  Config config = Adaptive();
  config.max_runs = 60;
  Result result = RunSearch(target, config);
  EXPECT_EQ(result.outcome, Outcome::kInconclusive);
  EXPECT_NE(result.message.find("(1 set found)"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("its own runs have not yet failed clearly more often"),
            std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find("raise --max-runs"), std::string::npos) << result.message;
}

TEST(AdaptiveSearch, MaxSets_StopsAfterTheFirst) {
  SimulatedTarget target(Spec({{4}, {60}}, 1.0, 0.0, 2));
  Config config = Adaptive();
  config.max_sets = 1;
  Result result = RunSearch(target, config);
  ASSERT_EQ(result.outcome, Outcome::kFound);
  ASSERT_EQ(result.sets.size(), 1u);
  EXPECT_TRUE(NoWrongSet(result, target));
}

TEST(AdaptiveSearch, BatchProbe_AsksUpToParallelismRunsAtOnce) {
  SimulatedTarget target(Spec({{8}, {70}}, 0.5, 0.0, 4));
  Config config = Adaptive();
  config.parallelism = 4;
  std::vector<std::size_t> sizes;
  BatchProbe probe = [&](const std::vector<std::string>& patterns) {
    sizes.push_back(patterns.size());
    std::vector<ProbeResult> out;
    for (const std::string& p : patterns) out.push_back(target.Run(p));
    return out;
  };
  Result result = Search(config, probe);
  ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
  EXPECT_EQ(SetsOf(result), target.CulpritSets());
  EXPECT_EQ(result.runs, target.runs());
  EXPECT_EQ(target.bad_patterns(), 0);
  EXPECT_TRUE(
      std::all_of(sizes.begin(), sizes.end(), [](std::size_t s) { return s >= 1 && s <= 4; }));
  EXPECT_GT(std::count(sizes.begin(), sizes.end(), 4u), 0);
}

// With one or two sites a set may be every site: its confirmation is still
// a run of exactly its ID list, not "y" or "n" (which once kept the search
// rerunning "n" until the budget ran out).
TEST(AdaptiveSearch, SetOfEverySite_ConfirmedByItsOwnList) {
  for (bool inverted : {false, true}) {
    for (int sites : {1, 2}) {
      SimSpec spec = Spec({{0}}, 0.5, 0.0, 3);
      spec.sites = sites;
      spec.inverted = inverted;
      SimulatedTarget target(spec);
      Result result = RunSearch(target, Adaptive());
      ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
      EXPECT_EQ(SetsOf(result), target.CulpritSets());
      EXPECT_EQ(result.invert, inverted);
    }
  }
}

// Above 128 candidates the sets are searched with prefixes of a fixed order
// (subset hypotheses would be too many): still exact, never wrong.
TEST(AdaptiveSearch, ManySites_FoundWithPrefixProbes) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    for (double p : {1.0, 0.9}) {
      SimSpec spec = Spec({{static_cast<int>(seed * 37 % 200)}}, p, 0.0, seed);
      spec.sites = 200;
      SimulatedTarget target(spec);
      Result result = RunSearch(target, Adaptive());
      ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
      EXPECT_EQ(SetsOf(result), target.CulpritSets()) << "seed " << seed << " p " << p;
    }
  }
}

TEST(AdaptiveSearch, OtherAlgorithms_LeaveConfidenceUnset) {
  SimulatedTarget target(Spec({{5}}, 1.0, 0.0, 1));
  Config config;
  Result result = Search(config, target.AsProbe());
  ASSERT_EQ(result.outcome, Outcome::kFound);
  EXPECT_EQ(result.sets[0].confidence, 0.0);
  EXPECT_TRUE(result.rates.empty());
}

}  // namespace
}  // namespace timerbisect::search
