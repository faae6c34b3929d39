#include "search/run_pool.h"

namespace timerbisect::search {

RunPool::RunPool(const Config& config, const Probe& probe)
    : probe_(probe),
      batch_probe_(config.batch_probe),
      pooled_probe_([this](const std::string& pattern) { return Run({pattern}).front(); }) {}

void RunPool::Offer(const std::string& pattern, const ProbeResult& result) {
  offered_[pattern].push_back(result);
}

void RunPool::OfferKept() {
  for (auto& [pattern, result] : kept_) Offer(pattern, result);
  kept_.clear();
}

Config RunPool::Wrap(Config config) {
  if (batch_probe_) {
    config.batch_probe = [this](const std::vector<std::string>& patterns) { return Run(patterns); };
  }
  return config;
}

void RunPool::Keep(const std::string& pattern, const ProbeResult& result) {
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
      it->second.pop_front();
      ++reused_;
      Keep(patterns[i], results[i]);
      continue;
    }
    to_run.push_back(i);
    run_patterns.push_back(patterns[i]);
  }
  std::vector<ProbeResult> ran;
  if (batch_probe_ && run_patterns.size() > 1) {
    ran = batch_probe_(run_patterns);
  } else {
    for (const std::string& p : run_patterns) ran.push_back(probe_(p));
  }
  // A batch probe that stopped (interrupted) returns fewer results.
  if (ran.size() < to_run.size()) {
    results.resize(to_run[ran.size()]);
  }
  for (std::size_t j = 0; j < ran.size() && j < to_run.size(); ++j) {
    results[to_run[j]] = ran[j];
    ++runs_;
    Keep(patterns[to_run[j]], ran[j]);
  }
  return results;
}

}  // namespace timerbisect::search
