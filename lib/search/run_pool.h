// Runs shared between the steps of one search, so no configuration is
// measured twice. Every request goes through the pool: it takes an earlier
// result of the same pattern that was offered and not used yet, else it runs
// the target. The runs of the two baselines, "n" (every site off) and "y"
// (every site on), are kept, so a later step can be offered them: the
// adaptive search, when the ID split found the target flaky, starts from the
// all-old/all-new runs the ID split, its agreement check and its reproduce
// check already made; triage hands its rate measurements to the search the
// same way (Offer). Each offered result is used once, in the order offered.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "search/search.h"

namespace timerbisect::search {

class RunPool {
 public:
  // `probe` runs the target.
  explicit RunPool(BatchProbe probe);
  RunPool(const RunPool&) = delete;
  RunPool& operator=(const RunPool&) = delete;

  // Results later requests of `pattern` take instead of running.
  void Offer(const std::string& pattern, const ProbeResult& result);
  // Offers every kept baseline run again, and forgets them.
  void OfferKept();

  // The probe that goes through the pool (Run), for a search.
  const BatchProbe& probe() const { return pooled_probe_; }

  // Runs each pattern once through the pool (those not answered by an
  // offered result in one batch of the probe); one result per pattern, in
  // order, fewer when the probe stopped (interrupted).
  std::vector<ProbeResult> Run(const std::vector<std::string>& patterns);

  int runs() const { return runs_; }      // target runs made through the pool
  int reused() const { return reused_; }  // requests answered by an offered result

  // Every result handed out (run or offered), in order: the evidence the
  // reproduce check of auto_search.h weighs.
  struct Logged {
    std::string pattern;
    bool failed = false;
    std::vector<std::uint64_t> reported;
  };
  const std::vector<Logged>& log() const { return log_; }

 private:
  // Logs a result handed out, and keeps it if it is a baseline's.
  void Record(const std::string& pattern, const ProbeResult& result);

  BatchProbe probe_;
  BatchProbe pooled_probe_;
  std::map<std::string, std::deque<ProbeResult>> offered_;
  std::vector<std::pair<std::string, ProbeResult>> kept_;
  std::vector<Logged> log_;
  int runs_ = 0;
  int reused_ = 0;
};

}  // namespace timerbisect::search
