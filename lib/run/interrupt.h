// Ctrl-C while probes run. Probes live in their own process groups (so a
// timeout can kill grandchildren), which also means the terminal's SIGINT
// reaches only the driver: without this guard they would outlive it.
#pragma once

#include <signal.h>

namespace timerbisect::run {

// While one lives, SIGINT, SIGTERM and SIGHUP kill every live probe's process
// group (SIGKILL), print "timerbisect: interrupted; stopped N running probes"
// on stderr and exit the process with 128+signo, the shell's convention.
// Destruction restores the previous handlers. Guards nest (last in, first out).
// Probes on a cluster (run/slurm_launcher.h): the groups killed are their
// sruns, and the exit wakes the reaper, which then cancels the driver's jobs
// (run/probe_reaper.h, SetCleanup).
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_;
  struct sigaction old_term_;
  struct sigaction old_hup_;
};

}  // namespace timerbisect::run
