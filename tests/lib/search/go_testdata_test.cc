// Go's own bisect test scenarios (golang.org/x/tools/cmd/bisect/testdata),
// modelled as its test target runs them: change i is the i-th of 90 colors
// with ID i, and the target fails when a rule over the colors holds. The
// suffix search is Go's algorithm: on every deterministic scenario it must
// make exactly the trials Go's testdata records and name the same sets.
// The default search honours the same limits (-max, -maxset) with its own
// probes, and the adaptive search stops at -maxset too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "search/search.h"
#include "search_sim.h"

namespace timerbisect::search {
namespace {

using IdSets = std::vector<std::vector<std::uint64_t>>;

// amber 2, apricot 6, black 12, blue 13, cyan 32, green 39, magenta 49,
// peach 59, red 69, yellow 89.
const std::vector<std::vector<int>> kDouble = {{2}, {6, 59}};
const std::vector<std::vector<int>> kFourSets = {{2}, {6, 59}, {69, 39, 13}, {32, 49, 89, 12}};

struct GoCase {
  const char* name;
  std::vector<std::vector<int>> rule;
  bool negate = false;
  int count = 1;
  int max_sets = 0;
  int max_set_size = 0;
  int go_runs = 0;      // the "bisect: run:" lines of its testdata file
  IdSets go_sets = {};  // its stdout, sorted; empty: it ended with an error
};

const std::vector<GoCase>& GoCases() {
  static const std::vector<GoCase> cases = {
      {.name = "basic", .rule = {{2}, {6}}, .go_runs = 23, .go_sets = {{2}, {6}}},
      {.name = "count2", .rule = {{2}, {6}}, .count = 2, .go_runs = 46, .go_sets = {{2}, {6}}},
      {.name = "double", .rule = kDouble, .go_runs = 35, .go_sets = {{2}, {6, 59}}},
      {.name = "negate", .rule = kDouble, .negate = true, .go_runs = 35, .go_sets = {{2}, {6, 59}}},
      {.name = "maxset4",
       .rule = kFourSets,
       .go_runs = 97,
       .go_sets = {{2}, {6, 59}, {12, 32, 49, 89}, {13, 39, 69}}},
      {.name = "max1", .rule = kDouble, .max_sets = 1, .go_runs = 11, .go_sets = {{2}}},
      {.name = "max2",
       .rule = kFourSets,
       .max_sets = 2,
       .go_runs = 38,
       .go_sets = {{2}, {13, 39, 69}}},
      {.name = "maxset",
       .rule = kFourSets,
       .max_set_size = 3,
       .go_runs = 61,
       .go_sets = {{2}, {13, 39, 69}}},
      {.name = "maxset1", .rule = {{6, 59}}, .max_set_size = 1, .go_runs = 4},
  };
  return cases;
}

void PrintTo(const GoCase& c, std::ostream* os) {
  *os << c.name;
}

sim::SimSpec SpecOf(const GoCase& c) {
  sim::SimSpec spec;
  spec.sites = 90;
  for (std::uint64_t id = 0; id < 90; ++id) spec.ids.push_back(id);
  spec.culprits = c.rule;
  spec.inverted = c.negate;
  return spec;
}

Config ConfigOf(const GoCase& c, Algorithm algorithm) {
  Config config;
  config.algorithm = algorithm;
  config.count = algorithm == Algorithm::kSuffix ? c.count : 1;
  config.max_sets = c.max_sets;
  config.max_set_size = c.max_set_size;
  return config;
}

class GoTestdata : public ::testing::TestWithParam<GoCase> {};

TEST_P(GoTestdata, SuffixSearchMakesGosTrialsAndNamesGosSets) {
  const GoCase& c = GetParam();
  sim::SimulatedTarget target(SpecOf(c));
  Result result = Search(ConfigOf(c, Algorithm::kSuffix), target.AsProbe());
  EXPECT_EQ(result.runs, c.go_runs);
  EXPECT_EQ(target.runs(), c.go_runs);
  EXPECT_EQ(sim::SetsOf(result), c.go_sets);
  EXPECT_EQ(result.outcome, c.go_sets.empty() ? Outcome::kInconclusive : Outcome::kFound)
      << result.message;
  EXPECT_EQ(result.invert, c.negate);
}

// The default search: only rule sets, each within -maxset; all of them
// without limits; -max of them with -max; and a search -maxset stopped says
// so (its message names the limit).
TEST_P(GoTestdata, DefaultSearchNamesOnlyRuleSetsWithinTheLimits) {
  const GoCase& c = GetParam();
  sim::SimulatedTarget target(SpecOf(c));
  Result result = Search(ConfigOf(c, Algorithm::kAuto), target.AsProbe());
  EXPECT_EQ(result.runs, target.runs());
  const IdSets rule = target.CulpritSets();
  const IdSets got = sim::SetsOf(result);
  for (const auto& set : got) {
    EXPECT_NE(std::find(rule.begin(), rule.end(), set), rule.end());
    if (c.max_set_size > 0) {
      EXPECT_LE(static_cast<int>(set.size()), c.max_set_size);
    }
  }
  if (c.max_sets > 0) {
    EXPECT_EQ(static_cast<int>(got.size()), c.max_sets);
  } else if (c.max_set_size == 0) {
    EXPECT_EQ(got, rule);
  }
  if (c.max_set_size > 0) {
    EXPECT_TRUE(result.more_not_searched);
    EXPECT_NE(result.message.find("--maxset " + std::to_string(c.max_set_size)), std::string::npos)
        << result.message;
    EXPECT_EQ(result.outcome, got.empty() ? Outcome::kInconclusive : Outcome::kFound);
  } else {
    EXPECT_FALSE(result.more_not_searched);
    EXPECT_EQ(result.outcome, Outcome::kFound) << result.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, GoTestdata, ::testing::ValuesIn(GoCases()),
                         [](const auto& info) { return std::string(info.param.name); });

// The ID split gives up a set as soon as it needs a site from each half
// beyond the limit: a pair with --maxset 1 never has a third site probed
// into it, and the sets of the allowed size before it are kept.
TEST(MaxSetSize, IdSplitKeepsSmallerSetsAndStopsAtTheFirstLargerOne) {
  sim::SimSpec spec;
  spec.sites = 64;
  spec.seed = 7;
  spec.culprits = {{5}, {20, 40}};
  sim::SimulatedTarget target(spec);
  Config config;
  config.algorithm = Algorithm::kIdSplit;
  config.max_set_size = 1;
  Result result = Search(config, target.AsProbe());
  ASSERT_EQ(result.outcome, Outcome::kFound) << result.message;
  EXPECT_EQ(sim::SetsOf(result),
            IdSets({target.CulpritSets()[0].size() == 1 ? target.CulpritSets()[0]
                                                        : target.CulpritSets()[1]}));
  EXPECT_TRUE(result.more_not_searched);
  EXPECT_EQ(result.message, MaxSetStop(1, true));

  config.max_set_size = 2;
  sim::SimulatedTarget again(spec);
  Result all = Search(config, again.AsProbe());
  EXPECT_EQ(sim::SetsOf(all), again.CulpritSets());
  EXPECT_FALSE(all.more_not_searched);
  EXPECT_TRUE(all.message.empty());
}

// With --maxset 1, a pair is given up as soon as both halves of the sites
// pass alone (the failing "y" was their whole): Go's four runs (n, y, the
// two halves), not a guess into the second half first.
TEST(MaxSetSize, IdSplitGivesUpAPairOnceBothHalvesPass) {
  const GoCase& c = GoCases().back();
  ASSERT_EQ(std::string(c.name), "maxset1");
  sim::SimulatedTarget target(SpecOf(c));
  Result result = Search(ConfigOf(c, Algorithm::kAuto), target.AsProbe());
  EXPECT_EQ(result.outcome, Outcome::kInconclusive);
  EXPECT_EQ(result.message, MaxSetStop(1, false));
  EXPECT_EQ(result.runs, 4);
}

// The adaptive search has no branch to give up: a set it settles larger
// than the limit ends the search unreported.
TEST(MaxSetSize, AdaptiveSearchReportsNoSetLargerThanTheLimit) {
  sim::SimSpec spec;
  spec.sites = 90;
  spec.seed = 3;
  spec.culprits = {{17, 60}};
  spec.fail_rate = 0.9;
  sim::SimulatedTarget target(spec);
  Config config;
  config.algorithm = Algorithm::kAdaptive;
  config.max_set_size = 1;
  Result result = Search(config, target.AsProbe());
  EXPECT_EQ(result.outcome, Outcome::kInconclusive);
  EXPECT_TRUE(result.sets.empty());
  EXPECT_TRUE(result.more_not_searched);
  EXPECT_EQ(result.message, MaxSetStop(1, false));
}

}  // namespace
}  // namespace timerbisect::search
