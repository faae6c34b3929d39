// `--launcher slurm`: each probe is one Slurm job of one task (srun
// --ntasks=1), so -j N means N probes in flight on the cluster. srun is a
// local process, so a LocalLauncher runs it: output capture, --timeout,
// Ctrl-C and the reaper work as for local probes, and this class only adds
// what Slurm needs on top (docs/DESIGN.md, "Beyond one machine"):
//
//  - The probe's environment travels in the command (run/remote_command.h),
//    not in srun's own environment (which would preload the shim into srun,
//    and whose --export cannot carry values with commas); srun's
//    environment is exported as usual (--export=ALL), as a local probe
//    inherits the driver's.
//  - Each job is named timerbisect-HOST-PID-N (this driver's host and pid,
//    the probe's number). A thread polls squeue once a second while probes
//    are in flight: --timeout counts from when the job is seen running
//    (time in the queue is not the target's), and a job past it is
//    cancelled by name and comes back timed out; a job still pending after
//    Options::max_pending is cancelled and lost. The reaper (run/probe_reaper.h) cancels every job
//    of the driver when it exits or is killed, Ctrl-C and SIGKILL included.
//  - A small perl wrapper on the node prints "timerbisect-node: NAME", runs
//    the probe with a report file of its own on the node, prints that file
//    after it and exits as the probe did (run/remote_command.h). The node line
//    says where it ran (for the journal), and that it ran at all. A run that never started, or that
//    Slurm cancelled (not for our --timeout), or whose node failed, is lost (ProbeOutput::lost).
//  - srun exits with 128+N when the task died of signal N and says so on
//    stderr ("task 0: Segmentation fault"); that comes back as the signal
//    (run/slurm_output.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "run/local_launcher.h"
#include "run/probe.h"

namespace timerbisect::run {

class SlurmLauncher final : public Launcher {
 public:
  struct Options {
    std::string srun = "srun";       // the srun (and its siblings') program
    std::string partition;           // --partition, empty: the cluster's default
    std::string time_limit;          // srun --time, empty: the partition's
    std::vector<std::string> extra;  // more srun arguments, before the command
    // A job pending this long is cancelled, and the run is lost.
    std::chrono::seconds max_pending{30 * 60};
    // When set, called with one line ("slurm: 2 queued, 1 running, 14
    // done") whenever those counts change while jobs are queued or
    // running. Called from the launcher's own thread.
    std::function<void(const std::string&)> progress;
  };

  explicit SlurmLauncher(Options options);
  // Cancels the jobs of probes still in flight; kills their sruns.
  ~SlurmLauncher() override;
  SlurmLauncher(const SlurmLauncher&) = delete;
  SlurmLauncher& operator=(const SlurmLauncher&) = delete;

  Handle Start(const ProbeSpec& spec) override;
  ProbeOutput Wait(Handle handle) override;

  // The prefix of every job name of this launcher's driver.
  const std::string& job_prefix() const { return job_prefix_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    std::string name;
    std::chrono::milliseconds timeout{0};  // 0: none
    Clock::time_point submitted;
    std::optional<Clock::time_point> running_since;  // first seen running
    bool cancelled_for_timeout = false;
    std::string lost_reason;  // set when we cancelled it as lost
  };

  void Cancel(const std::string& job_name);
  void CancelAll();
  void Monitor();
  // One squeue poll: updates jobs_, cancels what is overdue, reports progress.
  void Poll(std::string& last_progress);

  const Options options_;
  const std::string job_prefix_;
  LocalLauncher local_;
  std::mutex mu_;
  std::condition_variable stop_;
  std::map<Handle, Job> jobs_;  // in flight; guarded by mu_
  int next_job_ = 1;            // guarded by mu_
  int done_ = 0;                // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::thread monitor_;         // last: starts once the rest exists
};

}  // namespace timerbisect::run
