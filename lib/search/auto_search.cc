#include "search/auto_search.h"

#include <cmath>

#include "protocol/pattern.h"
#include "search/agreement.h"

namespace timerbisect::search {
namespace {

void Notice(const Config& config, const std::string& line) {
  if (config.notice) config.notice(line);
}

// Step 3: each set fails once more, the passing baseline passes once more,
// and a set of two or more still needs each member: without any one of them
// it passes, kLeaveOutRuns times. A flaky culprit that passed once by luck
// when tried alone leaves it in a set with an innocent site; the search's
// own minimality check ran it once. At a 50% failure rate the wrong pair
// survives these runs with probability 1/16.
constexpr int kLeaveOutRuns = 4;

bool SetsReproduce(RunPool& pool, const Result& result) {
  std::vector<std::pair<std::string, bool>> checks;  // pattern, must fail
  for (const ChangeSet& set : result.sets) {
    checks.emplace_back(set.pattern, true);
    if (set.ids.size() < 2) continue;
    for (std::size_t leave_out = 0; leave_out < set.ids.size(); ++leave_out) {
      std::vector<std::uint64_t> rest;
      for (std::size_t i = 0; i < set.ids.size(); ++i) {
        if (i != leave_out) rest.push_back(set.ids[i]);
      }
      std::string without = protocol::PatternForIds(rest, result.invert);
      for (int i = 0; i < kLeaveOutRuns; ++i) checks.emplace_back(without, false);
    }
  }
  checks.emplace_back(result.invert ? "y" : "n", false);
  std::vector<std::string> patterns;
  for (const auto& check : checks) patterns.push_back(check.first);
  std::vector<ProbeResult> runs = pool.Run(patterns);
  if (runs.size() < patterns.size()) return true;  // stopped: keep what was found
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].failed != checks[i].second) return false;
  }
  return true;
}

}  // namespace

int AgreementCap(double confidence) {
  double miss = std::max(1e-9, (1 - confidence) / 2);
  return std::max(1, static_cast<int>(std::ceil(std::log2(1 / miss))));
}

Result AutoSearch(const Config& config, RunPool& pool) {
  Config id_split = pool.Wrap(config);
  id_split.algorithm = Algorithm::kIdSplit;
  Result result = Search(id_split, pool.probe());
  if (result.outcome == Outcome::kNotSensitive) {
    int cap = AgreementCap(config.confidence);
    Notice(config, std::string("all-old and all-new both ") +
                       (result.agreed_failing ? "failed" : "passed") + "; running each up to " +
                       std::to_string(cap) + " times to rule out a flaky failure");
    Agreement agreement = CheckAgreement(
        [&pool](const std::vector<std::string>& patterns) { return pool.Run(patterns); },
        config.parallelism, result.agreed_failing, cap);
    if (!agreement.flaky) {
      result.message += " (" + std::to_string(agreement.n_runs) + " runs of each)";
      result.runs = pool.runs();
      return result;
    }
    result.outcome = Outcome::kInconclusive;
    result.message = "all-old failed " + std::to_string(agreement.n_failures) + " of " +
                     std::to_string(agreement.n_runs) + " runs, all-new " +
                     std::to_string(agreement.y_failures) + " of " +
                     std::to_string(agreement.y_runs);
  }
  bool flaky = result.outcome == Outcome::kInconclusive;
  if (result.outcome == Outcome::kFound) {
    bool multi_site = false;
    for (const ChangeSet& set : result.sets) multi_site |= set.ids.size() > 1;
    Notice(config, std::string("checking that the set") + (result.sets.size() == 1 ? "" : "s") +
                       " reproduce" + (result.sets.size() == 1 ? "s" : "") +
                       " (one more run of each" +
                       (multi_site ? ", " + std::to_string(kLeaveOutRuns) +
                                         " of each set of two or more without one of its sites"
                                   : std::string()) +
                       ", one of the passing baseline)");
    flaky = !SetsReproduce(pool, result);
  }
  if (!flaky) {
    result.runs = pool.runs();
    return result;
  }
  Notice(config, "the target is flaky (" +
                     (result.outcome == Outcome::kFound
                          ? std::string("a set it found did not fail again on a rerun, or the "
                                        "passing baseline failed")
                          : result.message) +
                     "); switching to the adaptive statistical search, starting from the " +
                     "all-old and all-new runs made so far");
  pool.OfferKept();
  Config adaptive = pool.Wrap(config);
  adaptive.algorithm = Algorithm::kAdaptive;
  adaptive.count = 1;
  Result again = Search(adaptive, pool.probe());
  again.runs = pool.runs();
  return again;
}

}  // namespace timerbisect::search
