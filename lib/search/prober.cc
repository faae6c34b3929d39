#include "search/prober.h"

#include <algorithm>
#include <bit>
#include <iterator>

namespace timerbisect::search {

Ids SortedUnique(std::vector<std::uint64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Ids Union(const Ids& a, const Ids& b) {
  Ids out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Ids Minus(const Ids& a, const Ids& b) {
  Ids out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

BatchProbe OneAtATime(Probe probe) {
  return [probe = std::move(probe)](const std::vector<std::string>& patterns) {
    std::vector<ProbeResult> results;
    results.reserve(patterns.size());
    for (const std::string& pattern : patterns) results.push_back(probe(pattern));
    return results;
  };
}

std::string ShortPattern(const std::string& pattern) {
  constexpr std::size_t kKeep = 60;
  if (pattern.size() <= kKeep + 20) return pattern;
  auto terms = std::count(pattern.begin(), pattern.end(), '+') +
               std::count(pattern.begin(), pattern.end(), '-') + 1;
  return pattern.substr(0, kKeep) + "...(" + std::to_string(terms) + " terms)";
}

std::string InconsistentMessage(const std::string& pattern, int failed_runs, int runs) {
  return "target fails inconsistently under pattern " + ShortPattern(pattern) + " (" +
         std::to_string(failed_runs) + " of " + std::to_string(runs) + " runs failed)" +
         kFlakyAdvice;
}

std::optional<Observation> Prober::Run(const std::string& pattern) {
  if (stop_) return std::nullopt;
  Observation obs;
  int failed_runs = 0;
  bool reused = true, replayed = true;
  // The count reruns of one pattern are independent: they run at once, at
  // most `parallelism` in flight.
  std::vector<ProbeResult> results;
  for (int done = 0; done < count();) {
    int n = std::min(std::max(1, config_.parallelism), count() - done);
    auto batch = probe_(std::vector<std::string>(static_cast<std::size_t>(n), pattern));
    if (batch.size() < static_cast<std::size_t>(n)) {
      interrupted_ = true;
      Stop("the probe was interrupted");
      return std::nullopt;
    }
    results.insert(results.end(), batch.begin(), batch.end());
    done += n;
  }
  for (const ProbeResult& r : results) {
    ++runs_;
    failed_runs += r.failed ? 1 : 0;
    reused = reused && r.reused;
    replayed = replayed && r.replayed;
    obs.reported.insert(obs.reported.end(), r.reported.begin(), r.reported.end());
  }
  ++probes_;
  obs.failed = failed_runs > 0;
  obs.reported = SortedUnique(std::move(obs.reported));
  if (config_.progress) {
    // For one culprit each probe halves the sites in play; the last two are
    // the confirmation and the check for more sets.
    int left = in_play_ > 1 ? std::bit_width(static_cast<unsigned>(in_play_ - 1)) + 2 : 2;
    config_.progress({probes_, pattern, obs.failed, in_play_, left, false, reused, replayed});
  }
  if (failed_runs != 0 && failed_runs != count()) {
    Stop(InconsistentMessage(pattern, failed_runs, count()));
    return std::nullopt;
  }
  return obs;
}

void Prober::Stop(std::string message) {
  if (!stop_) stop_ = std::move(message);
}

void Prober::Settled(const std::vector<ChangeSet>& sets, bool invert) const {
  if (!config_.settled) return;
  Result so_far;
  so_far.outcome = Outcome::kFound;
  so_far.invert = invert;
  so_far.sets = sets;
  so_far.runs = runs_;
  so_far.probes = probes_;
  config_.settled(so_far);
}

void Prober::SetInPlay(int sites) {
  in_play_ = sites;
}

}  // namespace timerbisect::search
