// Go's bisect protocol drives the shim: for patterns the protocol layer
// builds, the sites the shim reports, and the mode it gives each, equal the
// matcher's verdicts.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "protocol/marker.h"
#include "protocol/matcher.h"
#include "protocol/pattern.h"
#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

// id -> "old"/"new" from the report's "timerbisect site API mode=M" lines.
std::map<std::uint64_t, std::string> ReportedModes(const std::string& report) {
  std::map<std::uint64_t, std::string> modes;
  std::istringstream in(report);
  std::string line;
  while (std::getline(in, line)) {
    auto cut = protocol::CutMarker(line);
    auto at = line.find("mode=");
    if (cut.found && at != std::string::npos) modes[cut.id] = line.substr(at + 5, 3);
  }
  return modes;
}

TEST(ShimProtocol, ReportsAndModesEqualTheMatchersVerdicts) {
  auto all = ReportedIds(RunUnderShim("shim_many", {}, {{"TIMERSEM", "new#y"}}).report);
  ASSERT_EQ(all.size(), 40u);
  std::vector<std::uint64_t> ids(all.begin(), all.end());
  std::mt19937_64 rng(90);
  for (int trial = 0; trial < 24; ++trial) {
    protocol::PatternSpec spec;
    spec.invert = trial % 3 == 0;
    spec.verbose = trial % 4 == 0;
    // Suffixes of random lengths taken from real IDs, and a few explicit IDs,
    // as the driver's two algorithms build them.
    for (int i = 0; i < 1 + trial % 3; ++i) {
      std::uint64_t id = ids[rng() % ids.size()];
      int width = trial % 5 == 0 ? 64 : 1 + static_cast<int>(rng() % 5);
      spec.add.push_back({width == 64 ? id : id & ((1ull << width) - 1), width});
    }
    if (trial % 2) spec.skip.push_back(protocol::Suffix::Id(ids[rng() % ids.size()]));
    std::string pattern = protocol::BuildPattern(spec);
    const char* base = trial % 2 ? "old" : "new";
    auto matcher = protocol::Matcher::Parse(pattern);
    ASSERT_TRUE(matcher) << pattern;

    ShimRun run = RunUnderShim("shim_many", {}, {{"TIMERSEM", std::string(base) + "#" + pattern}});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto modes = ReportedModes(run.report);
    std::set<std::uint64_t> want;
    for (std::uint64_t id : ids) {
      if (matcher->ShouldReport(id)) want.insert(id);
    }
    EXPECT_EQ(ReportedIds(run.report), want) << "TIMERSEM=" << base << "#" << pattern;
    for (std::uint64_t id : want) {
      bool enabled = matcher->ShouldEnable(id);
      std::string expected = enabled ? base : (std::string(base) == "old" ? "new" : "old");
      EXPECT_EQ(modes[id], expected) << pattern << " id " << protocol::Marker(id);
    }
  }
}

}  // namespace
}  // namespace timerbisect::testing
