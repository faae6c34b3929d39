// Runs one pattern Config::count times and insists the runs agree; counts
// runs and probes and sends progress events. Shared by both algorithms, so
// "runs used" means the same thing for each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "search/search.h"

namespace timerbisect::search {

// What one probe (count runs of one pattern) showed.
struct Observation {
  bool failed = false;
  std::vector<std::uint64_t> reported;  // sorted, unique; union over the runs
};

// Sorted, unique IDs.
using Ids = std::vector<std::uint64_t>;
Ids SortedUnique(std::vector<std::uint64_t> ids);
// Set union and difference of sorted, unique IDs.
Ids Union(const Ids& a, const Ids& b);
Ids Minus(const Ids& a, const Ids& b);

// A pattern shortened for a one-line message: explicit ID lists get long.
std::string ShortPattern(const std::string& pattern);

// What a deterministic search (--algorithm id or suffix) says when a probe
// shows the target is flaky: a larger --count would not help (more runs of
// a probe only disagree more often); the searches that measure do.
inline constexpr const char* kFlakyAdvice =
    "; rerun with the default --algorithm auto or with --algorithm adaptive, which measure a "
    "flaky target's probes instead of taking each run at its word";

class Prober {
 public:
  Prober(const Config& config, const BatchProbe& probe) : config_(config), probe_(probe) {}

  // Runs `pattern` count times. nullopt when the search must stop: the runs
  // disagreed now, or an earlier step already stopped it (see stop()).
  std::optional<Observation> Run(const std::string& pattern);

  // Ends the search as inconclusive; the first reason wins.
  void Stop(std::string message);
  const std::optional<std::string>& stop() const { return stop_; }
  // Whether it stopped because the probe answered short (interrupted).
  bool interrupted() const { return interrupted_; }

  // Config::settled, if given: `sets` are every set settled so far.
  void Settled(const std::vector<ChangeSet>& sets, bool invert) const;

  // What the progress events say about the step in progress.
  void SetInPlay(int sites);

  int runs() const { return runs_; }
  int probes() const { return probes_; }
  int count() const { return config_.count < 1 ? 1 : config_.count; }

 private:
  const Config& config_;
  const BatchProbe& probe_;
  std::optional<std::string> stop_;
  bool interrupted_ = false;
  int runs_ = 0;
  int probes_ = 0;
  int in_play_ = 0;
};

// The message for runs of one pattern that disagree.
std::string InconsistentMessage(const std::string& pattern, int failed_runs, int runs);

}  // namespace timerbisect::search
