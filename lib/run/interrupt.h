// Ctrl-C while probes run. Probes live in their own process groups (so a
// timeout can kill grandchildren), which also means the terminal's SIGINT
// reaches only the driver: without this guard they would outlive it.
#pragma once

#include <signal.h>

#include <thread>

#include "run/unique_fd.h"

namespace timerbisect::run {

// While one lives, SIGINT, SIGTERM and SIGHUP kill every live probe's process
// group (SIGKILL), print "timerbisect: interrupted; stopped N running probes"
// on stderr and exit the process with 128+signo, the shell's convention.
// Destruction restores the previous handlers and signal mask. Guards nest
// (last in, first out) and must end on the thread that made them.
//
// The work is done on the guard's own thread, never in a signal handler.
// The constructing thread blocks the three signals, and threads it starts
// afterwards inherit that (make the guard before the launcher), so the
// signals stay pending until the guard's thread reads them from a signalfd.
// A thread that was running before the guard and leaves them unblocked
// may still take one: the handler installed for that case only forwards
// the signal's number to the guard's thread through a pipe. (Sanitizers'
// runtimes run a handler late, or inside their own locks; a handler that
// does the work itself once left a TSan build hanging.)
// Once the guard's thread has begun, launchers report nothing more: their
// threads wait for the exit (registry::AwaitInterruptExit).
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
  UniqueFd signals_;    // a signalfd for the three signals
  UniqueFd wake_read_;  // forwarded signal numbers, and 0 to stop
  UniqueFd wake_write_;
  int outer_wake_ = -1;  // the enclosing guard's wake_write_, restored at the end
  sigset_t old_mask_;
  struct sigaction old_int_;
  struct sigaction old_term_;
  struct sigaction old_hup_;
  std::thread waiter_;
};

}  // namespace timerbisect::run
