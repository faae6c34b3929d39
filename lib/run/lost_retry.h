// Lost runs are run again. A remote launcher marks a run lost when it says
// nothing about the target (the job never started, the scheduler cancelled
// it, its node failed: ProbeOutput::lost). This wrapper starts such a probe
// again, so the search and triage only ever see runs that happened: a lost
// run is never a pass, a failure, or a sample in the statistics. A probe
// lost `max_attempts` times in a row is a setup problem, not bad luck: it
// comes back as not started, with one line saying why.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "run/probe.h"

namespace timerbisect::run {

class LostRetryLauncher final : public Launcher {
 public:
  // Called (from the waiting thread) for each lost run before it is run
  // again: attempt number (1-based) and the reason.
  using OnLost = std::function<void(int attempt, const std::string& reason)>;

  LostRetryLauncher(std::unique_ptr<Launcher> inner, int max_attempts, OnLost on_lost = {});

  Handle Start(const ProbeSpec& spec) override;
  ProbeOutput Wait(Handle handle) override;

  int lost_runs() const;
  // The launcher it wraps, for a probe that must not be retried.
  Launcher& inner() { return *inner_; }

 private:
  const std::unique_ptr<Launcher> inner_;
  const int max_attempts_;
  const OnLost on_lost_;
  mutable std::mutex mu_;
  std::map<Handle, ProbeSpec> specs_;  // by the inner launcher's handle; guarded by mu_
  int lost_runs_ = 0;                  // guarded by mu_
};

}  // namespace timerbisect::run
