#include "run/lost_retry.h"

#include <utility>

namespace timerbisect::run {

LostRetryLauncher::LostRetryLauncher(std::unique_ptr<Launcher> inner, int max_attempts,
                                     OnLost on_lost)
    : inner_(std::move(inner)), max_attempts_(max_attempts), on_lost_(std::move(on_lost)) {}

Launcher::Handle LostRetryLauncher::Start(const ProbeSpec& spec) {
  Handle handle = inner_->Start(spec);
  std::lock_guard lock(mu_);
  specs_[handle] = spec;
  return handle;
}

ProbeOutput LostRetryLauncher::Wait(Handle handle) {
  ProbeSpec spec;
  {
    std::lock_guard lock(mu_);
    auto it = specs_.find(handle);
    if (it != specs_.end()) {
      spec = std::move(it->second);
      specs_.erase(it);
    }
  }
  ProbeOutput out = inner_->Wait(handle);
  for (int attempt = 1; out.lost; ++attempt) {
    {
      std::lock_guard lock(mu_);
      ++lost_runs_;
    }
    if (attempt >= max_attempts_) {
      std::string reason = out.lost_reason;
      out = ProbeOutput{};
      out.error = "timerbisect: a probe was lost " + std::to_string(attempt) +
                  " times in a row, last: " + reason + "; is the cluster usable?";
      return out;
    }
    if (on_lost_) on_lost_(attempt, out.lost_reason);
    out = inner_->Wait(inner_->Start(spec));
  }
  return out;
}

int LostRetryLauncher::lost_runs() const {
  std::lock_guard lock(mu_);
  return lost_runs_;
}

}  // namespace timerbisect::run
