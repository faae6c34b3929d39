// Runs probes as child processes of this one. One I/O thread per launcher
// reads every probe's output, enforces timeouts and reaps exits, so probes
// progress (and their pipes never fill) whichever probe the caller happens
// to be waiting for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "run/probe.h"
#include "run/unique_fd.h"

namespace timerbisect::run {

class LocalLauncher final : public Launcher {
 public:
  struct Options {
    // After the probe's main process exits and the rest of its process group
    // is killed, how long to keep reading output that a process outside the
    // group (one that called setsid) may still hold open.
    std::chrono::milliseconds drain_timeout{2000};
  };

  LocalLauncher();
  explicit LocalLauncher(Options options);
  // Kills the process groups of probes still running and waits for them.
  ~LocalLauncher() override;
  LocalLauncher(const LocalLauncher&) = delete;
  LocalLauncher& operator=(const LocalLauncher&) = delete;

  // Thread-safe; several probes may be in flight, waited for in any order.
  Handle Start(const ProbeSpec& spec) override;
  ProbeOutput Wait(Handle handle) override;

 private:
  struct Probe;
  using Clock = std::chrono::steady_clock;

  void Loop();
  // Reads, reaps, times out; true once the probe is finished. Holds mu_.
  bool Service(Probe& probe, Clock::time_point now);
  void Wake();

  const Options options_;
  std::mutex mu_;
  std::condition_variable finished_;
  std::map<Handle, std::unique_ptr<Probe>> probes_;  // guarded by mu_
  Handle next_handle_ = 1;                           // guarded by mu_
  bool stopping_ = false;                            // guarded by mu_
  UniqueFd wake_fd_;                                 // an eventfd that interrupts the loop's poll
  std::thread io_thread_;                            // last: starts once the rest exists
};

}  // namespace timerbisect::run
