#include "search_sim.h"

#include <algorithm>

#include "protocol/matcher.h"
#include "protocol/pattern.h"

namespace timerbisect::search::sim {
namespace {

bool TermHolds(const std::vector<int>& term, const std::vector<bool>& toggled) {
  return std::all_of(term.begin(), term.end(),
                     [&](int site) { return toggled[static_cast<std::size_t>(site)]; });
}

bool Holds(const std::vector<std::vector<int>>& dnf, const std::vector<bool>& toggled) {
  return std::any_of(dnf.begin(), dnf.end(),
                     [&](const std::vector<int>& term) { return TermHolds(term, toggled); });
}

}  // namespace

SimulatedTarget::SimulatedTarget(SimSpec spec) : spec_(std::move(spec)), rng_(spec_.seed) {
  ids_ = spec_.ids;
  while (static_cast<int>(ids_.size()) < spec_.sites) ids_.push_back(rng_());
  spec_.reached_via.resize(ids_.size(), -1);
  spec_.appear.resize(ids_.size(), 1.0);
}

ProbeResult SimulatedTarget::Run(const std::string& pattern) {
  ++runs_;
  protocol::ParseError error;
  auto m = protocol::Matcher::Parse(pattern, &error);
  if (!m) {
    ++bad_patterns_;
    return {true, {}};
  }
  std::size_t n = ids_.size();
  std::vector<bool> enabled(n, false), toggled(n, false);
  ProbeResult result;
  for (std::size_t i = 0; i < n; ++i) {
    bool reached =
        spec_.appear[i] >= 1.0 || std::generate_canonical<double, 53>(rng_) < spec_.appear[i];
    int req = spec_.reached_via[i];
    if (req >= 0) reached = reached && enabled[static_cast<std::size_t>(req)];
    if (!reached) continue;
    std::uint64_t id = static_cast<int>(i) == spec_.unstable_site ? rng_() : ids_[i];
    enabled[i] = m->ShouldEnable(id);
    toggled[i] = enabled[i] != spec_.inverted;
    if (m->ShouldReport(id)) result.reported.push_back(id);
  }
  // No draw for a rate of 0 or 1, so targets without a background rate see
  // the same random sequence as before it existed.
  double rate = 0;
  if (spec_.term_rates.empty()) {
    rate = Holds(spec_.culprits, toggled) ? spec_.fail_rate : spec_.background_rate;
  } else {
    double passes = 1 - spec_.background_rate;
    for (std::size_t t = 0; t < spec_.culprits.size(); ++t) {
      if (TermHolds(spec_.culprits[t], toggled)) passes *= 1 - spec_.term_rates.at(t);
    }
    rate = 1 - passes;
  }
  result.failed = rate >= 1.0 || (rate > 0.0 && std::generate_canonical<double, 53>(rng_) < rate);
  return result;
}

std::vector<std::uint64_t> SimulatedTarget::IdsOf(const std::vector<int>& sites) const {
  std::vector<std::uint64_t> out;
  for (int s : sites) out.push_back(ids_[static_cast<std::size_t>(s)]);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::vector<std::uint64_t>> SimulatedTarget::CulpritSets() const {
  std::vector<std::vector<std::uint64_t>> out;
  for (const auto& term : spec_.culprits) out.push_back(IdsOf(term));
  std::sort(out.begin(), out.end());
  return out;
}

bool SimulatedTarget::RuleHoldsFor(const std::vector<int>& sites) const {
  std::size_t n = ids_.size();
  std::vector<bool> selected(n, false), toggled(n, false), enabled(n, false);
  for (int s : sites) selected[static_cast<std::size_t>(s)] = true;
  for (std::size_t i = 0; i < n; ++i) {
    int req = spec_.reached_via[i];
    if (req >= 0 && !enabled[static_cast<std::size_t>(req)]) continue;
    enabled[i] = selected[i] != spec_.inverted;
    toggled[i] = selected[i];
  }
  return Holds(spec_.culprits, toggled);
}

std::vector<std::vector<std::uint64_t>> MinimalFailingSets(const SimulatedTarget& target,
                                                           int sites) {
  std::vector<unsigned> failing;
  for (unsigned mask = 0; mask < (1u << sites); ++mask) {
    std::vector<int> chosen;
    for (int i = 0; i < sites; ++i) {
      if (mask & (1u << i)) chosen.push_back(i);
    }
    if (target.RuleHoldsFor(chosen)) failing.push_back(mask);
  }
  std::vector<std::vector<std::uint64_t>> out;
  for (unsigned mask : failing) {
    bool minimal = std::none_of(failing.begin(), failing.end(), [&](unsigned other) {
      return other != mask && (other & mask) == other;
    });
    if (!minimal) continue;
    std::vector<int> chosen;
    for (int i = 0; i < sites; ++i) {
      if (mask & (1u << i)) chosen.push_back(i);
    }
    out.push_back(target.IdsOf(chosen));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::vector<int>> DisjointTerms(int n, const std::vector<int>& sizes,
                                            std::mt19937_64& rng) {
  std::vector<int> sites(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) sites[static_cast<std::size_t>(i)] = i;
  std::shuffle(sites.begin(), sites.end(), rng);
  std::vector<std::vector<int>> terms;
  auto next = sites.begin();
  for (int size : sizes) {
    terms.emplace_back(next, next + size);
    next += size;
  }
  return terms;
}

std::vector<std::vector<std::uint64_t>> SetsOf(const Result& result) {
  std::vector<std::vector<std::uint64_t>> out;
  for (const ChangeSet& set : result.sets) out.push_back(set.ids);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace timerbisect::search::sim
