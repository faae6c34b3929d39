#include "search/run_pool.h"

namespace timerbisect::search {

RunPool::RunPool(BatchProbe probe)
    : probe_(std::move(probe)),
      pooled_probe_([this](const std::vector<std::string>& patterns) { return Run(patterns); }) {}

void RunPool::Offer(const std::string& pattern, const ProbeResult& result) {
  offered_[pattern].push_back(result);
}

void RunPool::OfferKept() {
  for (auto& [pattern, result] : kept_) Offer(pattern, result);
  kept_.clear();
}

void RunPool::Record(const std::string& pattern, const ProbeResult& result) {
  log_.push_back({pattern, result.failed, result.reported});
  if (pattern == "n" || pattern == "y") kept_.emplace_back(pattern, result);
}

std::vector<ProbeResult> RunPool::Run(const std::vector<std::string>& patterns) {
  std::vector<ProbeResult> results(patterns.size());
  std::vector<std::size_t> to_run;
  std::vector<std::string> run_patterns;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    auto it = offered_.find(patterns[i]);
    if (it != offered_.end() && !it->second.empty()) {
      results[i] = std::move(it->second.front());
      results[i].reused = true;
      it->second.pop_front();
      ++reused_;
      Record(patterns[i], results[i]);
      continue;
    }
    to_run.push_back(i);
    run_patterns.push_back(patterns[i]);
  }
  std::vector<ProbeResult> ran;
  if (!run_patterns.empty()) ran = probe_(run_patterns);
  // A batch probe that stopped (interrupted) returns fewer results.
  if (ran.size() < to_run.size()) {
    results.resize(to_run[ran.size()]);
  }
  for (std::size_t j = 0; j < ran.size() && j < to_run.size(); ++j) {
    results[to_run[j]] = ran[j];
    results[to_run[j]].reused = false;
    ++runs_;
    Record(patterns[to_run[j]], ran[j]);
  }
  return results;
}

}  // namespace timerbisect::search
