// The default search (Algorithm::kAuto, auto_search.h) and the run pool it
// shares between its steps (run_pool.h), on simulated targets whose runs are
// counted exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "search/auto_search.h"
#include "search/run_pool.h"
#include "search_sim.h"

namespace timerbisect::search {
namespace {

using sim::SimSpec;
using sim::SimulatedTarget;

TEST(RunPool, OfferedResultsAreTakenOnceInOrderBeforeRunning) {
  int runs = 0;
  RunPool pool(OneAtATime([&runs](const std::string&) {
    ++runs;
    return ProbeResult{false, {}};
  }));
  pool.Offer("y", {true, {1}});
  pool.Offer("y", {false, {2}});
  EXPECT_EQ(pool.Run({"y"}).front().reported, std::vector<std::uint64_t>{1});
  EXPECT_EQ(pool.Run({"y"}).front().reported, std::vector<std::uint64_t>{2});
  EXPECT_FALSE(pool.Run({"y"}).front().failed);  // ran: nothing offered is left
  EXPECT_FALSE(pool.Run({"n"}).front().failed);  // ran: nothing was offered for it
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(pool.runs(), 2);
  EXPECT_EQ(pool.reused(), 2);
  EXPECT_EQ(pool.log().size(), 4u) << "every result handed out is logged";
}

TEST(RunPool, BatchesRunOnlyWhatWasNotOfferedAndKeepTheBaselines) {
  std::vector<std::vector<std::string>> batches;
  RunPool pool([&batches](const std::vector<std::string>& patterns) {
    batches.push_back(patterns);
    std::vector<ProbeResult> out;
    for (const std::string& p : patterns) out.push_back({p == "y", {}});
    return out;
  });
  pool.Offer("n", {false, {7}});
  std::vector<ProbeResult> got = pool.probe()({"n", "y", "+0x1", "n"});
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].reported, std::vector<std::uint64_t>{7});
  EXPECT_TRUE(got[1].failed);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"y", "+0x1", "n"}));
  EXPECT_EQ(pool.runs(), 3);

  // The three baseline results ("n" twice, "y" once) come back when offered
  // again; the explicit pattern is not kept.
  pool.OfferKept();
  pool.probe()({"n", "n", "y"});
  EXPECT_EQ(batches.size(), 1u) << "every one of them was answered from the pool";
  EXPECT_EQ(pool.reused(), 4);
}

TEST(AutoSearch, AgreementCapFollowsTheConfidence) {
  EXPECT_EQ(AgreementCap(0.99), 8);
  EXPECT_EQ(AgreementCap(0.9), 5);
  EXPECT_EQ(AgreementCap(0.999), 11);
}

Config AutoConfig() {
  Config config;
  config.algorithm = Algorithm::kAuto;
  return config;
}

// A target of 90 sites whose IDs and runs follow `seed`.
SimSpec NinetySites(std::uint64_t seed) {
  SimSpec spec;
  spec.sites = 90;
  spec.seed = seed;
  return spec;
}

// The ID split alone and the default search, each on its own copy of one
// deterministic target: their runs, and the default's result, which must
// name exactly the culprits.
struct BothRuns {
  int id_split = 0;
  int automatic = 0;
  Result got;
};
BothRuns RunBoth(const SimSpec& spec) {
  SimulatedTarget alone(spec), automatic(spec);
  Search(Config{}, alone.AsProbe());
  BothRuns both{0, 0, Search(AutoConfig(), automatic.AsProbe())};
  both.id_split = alone.runs();
  both.automatic = automatic.runs();
  EXPECT_EQ(both.got.outcome, Outcome::kFound) << both.got.message;
  EXPECT_EQ(sim::SetsOf(both.got), automatic.CulpritSets());
  EXPECT_EQ(both.got.runs, both.automatic);
  return both;
}

// On a deterministic target the default search costs the ID split's runs
// and a check that weighs the search's own runs first and runs a set (or a
// set without some of its sites) only while they leave a flaky reading too
// likely. Over these targets (one culprit and a pair each) it costs less
// than the fixed check it replaced: each set once more, each set of two or
// more four times without each member, and the baseline once.
TEST(AutoSearch, DeterministicTarget_TheReproduceCheckReusesTheSearchsRuns) {
  int check_runs = 0, fixed_check_runs = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SimSpec spec = NinetySites(seed);
    int a = static_cast<int>(seed % 90), b = static_cast<int>((seed * 7 + 3) % 90);
    int c = static_cast<int>((seed * 13 + 5) % 90);
    spec.culprits = {{a}};
    if (b != a && c != a && b != c) spec.culprits.push_back({b, c});  // a pair needed together
    BothRuns both = RunBoth(spec);
    int fixed_check = 1;
    for (const ChangeSet& set : both.got.sets) {
      fixed_check += 1 + (set.ids.size() > 1 ? 4 * static_cast<int>(set.ids.size()) : 0);
    }
    EXPECT_GE(both.automatic, both.id_split);
    check_runs += both.automatic - both.id_split;
    fixed_check_runs += fixed_check;
  }
  EXPECT_LT(check_runs, fixed_check_runs);
  RecordProperty("check_runs", check_runs);
  RecordProperty("fixed_check_runs", fixed_check_runs);
}

// Two pairs: a run of one pair without a member also toggles some sites of
// the other pair, and no whole set, so it is a run without a member for
// both pairs' checks at once. The two pairs' check costs fewer runs than
// each pair's on a target of its own (on these seeds, 203 runs against
// 292; before such runs served both, 308 against 323).
TEST(AutoSearch, TwoPairs_OneCheckRunServesBothPairs) {
  int together = 0, apart = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SimSpec spec = NinetySites(seed);
    std::mt19937_64 rng(seed);
    std::vector<std::vector<int>> pairs = sim::DisjointTerms(spec.sites, {2, 2}, rng);
    for (const std::vector<int>& pair : pairs) {
      spec.culprits = {pair};
      BothRuns alone = RunBoth(spec);
      apart += alone.automatic - alone.id_split;
    }
    spec.culprits = pairs;
    BothRuns both = RunBoth(spec);
    together += both.automatic - both.id_split;
  }
  EXPECT_LT(together, apart * 3 / 4);
  RecordProperty("together", together);
  RecordProperty("apart", apart);
}

// The reproduce check's runs are shown as they happen (a person watching a
// slow test would otherwise see nothing until the answer): one event per
// run, numbered from 1, and with the search's probes they are every run.
TEST(AutoSearch, EveryCheckRunIsAProgressEvent) {
  SimSpec spec = NinetySites(3);
  std::mt19937_64 rng(3);
  spec.culprits = sim::DisjointTerms(spec.sites, {2}, rng);
  SimulatedTarget target(spec);
  Config config = AutoConfig();
  int probes = 0;
  std::vector<int> check_runs;
  config.progress = [&](const ProgressEvent& e) {
    if (e.check) {
      check_runs.push_back(e.probe);
    } else {
      ++probes;
    }
  };
  Result got = Search(config, target.AsProbe());
  ASSERT_EQ(got.outcome, Outcome::kFound) << got.message;
  ASSERT_FALSE(check_runs.empty()) << "a pair's check needs runs of its own";
  for (std::size_t i = 0; i < check_runs.size(); ++i) {
    EXPECT_EQ(check_runs[i], static_cast<int>(i) + 1);
  }
  EXPECT_EQ(probes + static_cast<int>(check_runs.size()), got.runs);
}

// One culprit among 90: the search's own probes settle the check, or nearly.
TEST(AutoSearch, DeterministicSingleCulprit_AtMostTwoRunsBeyondTheIdSplit) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SimSpec spec = NinetySites(seed);
    spec.culprits = {{static_cast<int>(seed * 11 % 90)}};
    BothRuns both = RunBoth(spec);
    EXPECT_LE(both.automatic, both.id_split + 2) << "seed " << seed;
  }
}

TEST(AutoSearch, InsensitiveDeterministicTarget_RunsEachBaselineTheCapTimes) {
  SimSpec spec;
  spec.sites = 20;
  SimulatedTarget target(spec);
  Result got = Search(AutoConfig(), target.AsProbe());
  EXPECT_EQ(got.outcome, Outcome::kNotSensitive);
  EXPECT_EQ(target.runs(), 2 * AgreementCap(0.99));
  EXPECT_EQ(got.runs, target.runs());
  EXPECT_NE(got.message.find("(8 runs of each)"), std::string::npos) << got.message;
}

// The bar: one culprit among 90 failing half of the runs it is toggled in
// is found exactly in at least 19 of 20 searches, at most 1 in 100 names a
// wrong set, and at most 1 in 100 says "not timer-sensitive" (it does when
// all-new passes all of its 8 runs: 1 search in 256).
TEST(AutoSearch, HalfFlakyCulpritAmongNinety_FoundExactlyNearlyAlwaysNeverWrong) {
  int exact = 0, wrong = 0, not_sensitive = 0;
  const int kTrials = sim::SimTrials(200);
  for (int trial = 0; trial < kTrials; ++trial) {
    SimSpec spec;
    spec.sites = 90;
    spec.seed = 1000 + static_cast<std::uint64_t>(trial);
    spec.culprits = {{(trial * 37) % 90}};
    spec.fail_rate = 0.5;
    SimulatedTarget target(spec);
    Result got = Search(AutoConfig(), target.AsProbe());
    if (got.outcome == Outcome::kNotSensitive) ++not_sensitive;
    if (got.outcome != Outcome::kFound) continue;
    (sim::SetsOf(got) == target.CulpritSets() ? exact : wrong) += 1;
    EXPECT_EQ(got.runs, target.runs());
  }
  EXPECT_GE(exact, kTrials * 95 / 100);
  EXPECT_LE(wrong, std::max(1, kTrials / 100));
  EXPECT_LE(not_sensitive, std::max(1, kTrials / 100));
}

// Culprits that fail at different rates: a pair that fails every run it is
// toggled in and one site that fails half of them. The check weighs each
// set at its own failure rate; taking one rate for the whole target (the
// other sets' runs as evidence of how reliably a culprit fails, as the
// adaptive search's model does) cut Go's double scenario from 34 runs to
// 31, but here it let the flaky site through with an innocent one in 2 of
// these 200 searches (trials 29 and 116). Sets may be missed (the check for
// a further set is one run, which the flaky site passes half of the time);
// on these seeds no set with an innocent site is reported. (On the next 800
// seeds, 2 are, through the adaptive search's check that a pair is
// minimal: 0.25%, within the design's bar of 1%; docs/SEARCH.md, "The
// reproduce check".)
TEST(AutoSearch, DeterministicPairAndHalfFlakyCulprit_NoSetWithAnInnocentSite) {
  int exact = 0, not_a_culprit = 0;
  const int kTrials = sim::SimTrials(200);
  for (int trial = 0; trial < kTrials; ++trial) {
    SimSpec spec;
    spec.sites = 90;
    spec.seed = 5000 + static_cast<std::uint64_t>(trial);
    std::mt19937_64 rng(spec.seed);
    spec.culprits = sim::DisjointTerms(spec.sites, {1, 2}, rng);
    spec.term_rates = {0.5, 1.0};
    SimulatedTarget target(spec);
    Result got = Search(AutoConfig(), target.AsProbe());
    EXPECT_EQ(got.runs, target.runs());
    if (got.outcome != Outcome::kFound) continue;
    const auto culprits = target.CulpritSets();
    const auto sets = sim::SetsOf(got);
    for (const auto& set : sets) {
      bool is_culprit = std::find(culprits.begin(), culprits.end(), set) != culprits.end();
      not_a_culprit += !is_culprit;
      EXPECT_TRUE(is_culprit) << "trial " << trial;
    }
    exact += sets == culprits;
  }
  EXPECT_EQ(not_a_culprit, 0);
  EXPECT_GE(exact, kTrials / 3) << "both sets found in only " << exact << " of " << kTrials;
  RecordProperty("exact", exact);
}

// Sets that share a site (deterministic): the ID split excludes each set it
// finds, so it names one set per shared site and stops, as Go's bisect does;
// nothing it runs may look flaky to the check. A check for more sets that
// kept part of a found set on (tried on 2026-12-06 to save the check a run)
// fails on the other set through the shared site, which then looked flaky:
// 338 runs and an adaptive search instead of 28.
TEST(AutoSearch, OverlappingSets_NamedWithoutGoingAdaptive) {
  const std::vector<std::vector<std::vector<int>>> rules = {
      {{6, 59}, {6, 13}}, {{6, 59}, {59, 13}}, {{2}, {6, 59}, {6, 13}}};
  for (const auto& rule : rules) {
    SimSpec spec = NinetySites(1);
    for (std::uint64_t id = 0; id < 90; ++id) spec.ids.push_back(id);
    spec.culprits = rule;
    SimulatedTarget target(spec);
    Config config = AutoConfig();
    std::vector<std::string> notices;
    config.notice = [&notices](const std::string& line) { notices.push_back(line); };
    Result got = Search(config, target.AsProbe());
    ASSERT_EQ(got.outcome, Outcome::kFound) << got.message;
    const auto culprits = target.CulpritSets();
    for (const auto& set : sim::SetsOf(got)) {
      EXPECT_NE(std::find(culprits.begin(), culprits.end(), set), culprits.end());
    }
    for (const std::string& line : notices)
      EXPECT_EQ(line.find("adaptive"), std::string::npos) << line;
  }
}

// One 50%-flaky culprit among 40 sites; the default often switches to the
// adaptive search on it.
SimSpec HalfFlakyCulpritAmong40(int trial) {
  SimSpec spec;
  spec.sites = 40;
  spec.seed = 77 + static_cast<std::uint64_t>(trial);
  spec.culprits = {{trial % 40}};
  spec.fail_rate = 0.5;
  return spec;
}

// Switching to the adaptive search, the runs of "n" and "y" made so far are
// its first ones: it never runs a baseline that the earlier steps ran.
TEST(AutoSearch, AdaptiveStepStartsFromTheBaselineRunsAlreadyMade) {
  int switched = 0;
  for (int trial = 0; trial < 20; ++trial) {
    SimulatedTarget target(HalfFlakyCulpritAmong40(trial));
    std::map<std::string, int> baseline_runs;
    int before_switch = -1;
    Config config = AutoConfig();
    config.notice = [&](const std::string& line) {
      if (line.find("switching to the adaptive") != std::string::npos) {
        before_switch = baseline_runs["n"] + baseline_runs["y"];
      }
    };
    RunPool pool(OneAtATime([&](const std::string& pattern) {
      ++baseline_runs[pattern];
      return target.Run(pattern);
    }));
    Result got = AutoSearch(config, pool);
    EXPECT_EQ(got.runs, target.runs());
    if (before_switch < 0) continue;
    ++switched;
    EXPECT_GE(pool.reused(), before_switch) << "the adaptive search reran a baseline";
  }
  EXPECT_GT(switched, 0) << "no trial exercised the switch";
}

// The runs the adaptive search takes again are shown as such: the probes
// not marked reused and the check's runs are exactly the runs made. Its
// probes are numbered on from the ID split's, and the result counts them
// all.
TEST(AutoSearch, ProgressMarksTheRunsTakenAgain) {
  int switched = 0;
  for (int trial = 0; trial < 20; ++trial) {
    SimulatedTarget target(HalfFlakyCulpritAmong40(trial));
    Config config = AutoConfig();
    int made = 0, reused = 0, last_probe = 0;
    config.progress = [&](const ProgressEvent& e) {
      (e.reused ? reused : made) += 1;
      if (e.check) return;
      EXPECT_EQ(e.probe, last_probe + 1) << "trial " << trial << ": probes are numbered on";
      last_probe = e.probe;
    };
    RunPool pool(target.AsProbe());
    Result got = AutoSearch(config, pool);
    EXPECT_EQ(made, target.runs()) << "trial " << trial;
    EXPECT_EQ(reused, pool.reused()) << "trial " << trial;
    EXPECT_EQ(got.probes, last_probe) << "trial " << trial;
    switched += pool.reused() > 0;
  }
  EXPECT_GT(switched, 0) << "no trial exercised the switch";
}

// A probe that answers short (the driver stopped the runs: a signal, or a
// setup error the runs revealed) ends the search there, at any step:
// inconclusive, marked interrupted, no further run asked for, and no
// switch to the adaptive search.
TEST(AutoSearch, AProbeThatAnswersShortEndsTheSearchThere) {
  for (Algorithm algorithm : {Algorithm::kAuto, Algorithm::kAdaptive}) {
    for (int allowed : {1, 2, 3, 6, 15, 40}) {
      SimulatedTarget target(HalfFlakyCulpritAmong40(allowed));
      int asked_after_stop = 0;
      BatchProbe probe = [&](const std::vector<std::string>& patterns) {
        std::vector<ProbeResult> results;
        if (target.runs() >= allowed) ++asked_after_stop;
        for (const std::string& p : patterns) {
          if (target.runs() >= allowed) break;
          results.push_back(target.Run(p));
        }
        return results;
      };
      Config config = AutoConfig();
      config.algorithm = algorithm;
      std::vector<std::string> notices;  // those after the stop
      config.notice = [&](const std::string& line) {
        if (target.runs() >= allowed) notices.push_back(line);
      };
      Result got = Search(config, probe);
      if (target.runs() < allowed) continue;  // it ended before the stop
      EXPECT_TRUE(got.interrupted) << allowed << ": " << got.message;
      EXPECT_EQ(got.outcome, Outcome::kInconclusive) << allowed;
      EXPECT_EQ(got.runs, allowed) << allowed;
      EXPECT_LE(asked_after_stop, 1) << allowed << ": asked again after a short answer";
      for (const std::string& line : notices) {
        EXPECT_EQ(line.find("switching"), std::string::npos) << allowed << ": " << line;
      }
    }
  }
}

// Config::settled, what an interrupted search still reports: each call has
// every set settled so far (more than the call before), the last one the
// result's sets, and the search goes on after it (to rule out a further
// set). The default's ID split never calls it: its sets wait for the
// reproduce check, and the search ends with them.
using IdSets = std::vector<std::vector<std::uint64_t>>;

struct SettledCalls {
  std::vector<IdSets> sets;
  std::vector<int> runs_then;  // the target's runs at each call
};

void ExpectGrowingToTheResult(const SettledCalls& calls, const Result& got) {
  ASSERT_FALSE(calls.sets.empty());
  for (std::size_t i = 1; i < calls.sets.size(); ++i) {
    EXPECT_GT(calls.sets[i].size(), calls.sets[i - 1].size());
    for (const auto& set : calls.sets[i - 1]) {
      EXPECT_NE(std::find(calls.sets[i].begin(), calls.sets[i].end(), set), calls.sets[i].end())
          << "a settled set was taken back";
    }
  }
  EXPECT_EQ(calls.sets.back(), sim::SetsOf(got));
}

TEST(SettledSets, EachSearchHandsOutItsSetsAsItSettlesThem) {
  for (Algorithm algorithm : {Algorithm::kIdSplit, Algorithm::kSuffix, Algorithm::kAdaptive}) {
    SimSpec spec = NinetySites(5);
    spec.sites = 30;
    spec.culprits = {{3}, {11, 20}};
    SimulatedTarget target(spec);
    Config config;
    config.algorithm = algorithm;
    SettledCalls calls;
    config.settled = [&](const Result& so_far) {
      EXPECT_FALSE(so_far.invert);
      calls.sets.push_back(sim::SetsOf(so_far));
      calls.runs_then.push_back(target.runs());
    };
    Result got = Search(config, target.AsProbe());
    ASSERT_EQ(got.outcome, Outcome::kFound) << got.message;
    ASSERT_EQ(got.sets.size(), 2u);
    SCOPED_TRACE(static_cast<int>(algorithm));
    ExpectGrowingToTheResult(calls, got);
    // The first set was handed out before the search went on for the second.
    EXPECT_LT(calls.runs_then.front(), target.runs());
  }
}

TEST(SettledSets, TheDefaultHandsOutOnlyTheAdaptiveStepsSets) {
  SimSpec deterministic = NinetySites(5);
  deterministic.culprits = {{3}, {11, 20}};
  SimulatedTarget target(deterministic);
  Config config = AutoConfig();
  int calls_on_deterministic = 0;
  config.settled = [&](const Result&) { ++calls_on_deterministic; };
  ASSERT_EQ(Search(config, target.AsProbe()).outcome, Outcome::kFound);
  EXPECT_EQ(calls_on_deterministic, 0);

  int switched = 0;
  for (int trial = 0; trial < 20; ++trial) {
    SimulatedTarget flaky(HalfFlakyCulpritAmong40(trial));
    Config flaky_config = AutoConfig();
    bool went_adaptive = false;
    flaky_config.notice = [&](const std::string& line) {
      if (line.find("switching to the adaptive") != std::string::npos) went_adaptive = true;
    };
    SettledCalls calls;
    flaky_config.settled = [&](const Result& so_far) {
      EXPECT_TRUE(went_adaptive) << "a set handed out before the adaptive step";
      calls.sets.push_back(sim::SetsOf(so_far));
      calls.runs_then.push_back(flaky.runs());
    };
    Result got = Search(flaky_config, flaky.AsProbe());
    if (!went_adaptive || got.outcome != Outcome::kFound) continue;
    ++switched;
    SCOPED_TRACE(trial);
    ExpectGrowingToTheResult(calls, got);
  }
  EXPECT_GT(switched, 0) << "no trial exercised the switch";
}

}  // namespace
}  // namespace timerbisect::search
