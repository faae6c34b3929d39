// Ctrl-C while probes run. Probes live in their own process groups (so a
// timeout can kill grandchildren), which also means the terminal's SIGINT
// reaches only the driver: without this guard they would outlive it.
#pragma once

#include <signal.h>

#include <functional>
#include <memory>
#include <mutex>
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

  // What an interrupted run still says before it exits: called on the
  // guard's thread, once the probes are stopped, with the signal's number
  // (the subcommands write their --json and --junit with it). It may read
  // only what other threads do not change, or atomics. Each call replaces
  // the last; an empty function (set before the final outputs are written)
  // clears it. A call made while the guard's thread runs it waits, and the
  // process exits.
  void SetLastWords(std::function<void(int signo)> last_words);

  struct LastWords {
    std::mutex mu;
    std::function<void(int signo)> say;
  };

 private:
  std::unique_ptr<LastWords> last_words_ = std::make_unique<LastWords>();  // read by the thread
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

// A guard's last words for this object's lifetime: declared after what the
// words read (the session), it clears them before that is destroyed, on
// every return path.
class ScopedLastWords {
 public:
  ScopedLastWords(InterruptGuard& guard, std::function<void(int signo)> last_words)
      : guard_(guard) {
    guard_.SetLastWords(std::move(last_words));
  }
  ~ScopedLastWords() { Clear(); }
  // New words from here on (what the run can say has grown).
  void Set(std::function<void(int signo)> last_words) {
    guard_.SetLastWords(std::move(last_words));
  }
  ScopedLastWords(const ScopedLastWords&) = delete;
  ScopedLastWords& operator=(const ScopedLastWords&) = delete;
  // Before the final outputs are written: from there the whole answer is.
  void Clear() { guard_.SetLastWords({}); }

 private:
  InterruptGuard& guard_;
};

}  // namespace timerbisect::run
