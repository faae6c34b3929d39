// The POSIX timers the shim tracks: timer_t -> what the stale and latency
// aspects (and watch mode) need to know about it. Lock-free and
// allocation-free: reached from timer_* interceptors, which a signal
// handler may call.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <cstdint>

#include "config.h"

namespace timerbisect::shim {

struct PosixTimer {
  bool tracked = false;
  bool watched = false;    // watch mode: native, counted for `site`
  std::uint64_t site = 0;  // watched timers only
  Mode mode = Mode::kNew;
  int notify = SIGEV_SIGNAL;
  int signo = 0;
  pid_t tid = 0;             // SIGEV_THREAD_ID: the thread the signal goes to
  std::uintptr_t value = 0;  // sigev_value, as the bits of the union
  clockid_t clock = CLOCK_MONOTONIC;
};

// Open addressing over a fixed array, lock-free. A slot is claimed by CAS
// on its state (empty or dead -> busy), filled, then published (live).
// Deleted timers leave a dead slot that a later timer may reuse. Timers
// beyond the table's capacity are not tracked and behave natively. Watch
// mode keeps its timers here too (meta bit 1, and the site's ID).
enum SlotState : std::uint32_t { kEmpty = 0, kBusy = 1, kLive = 2, kDead = 3 };

struct TimerSlot {
  std::atomic<std::uint32_t> state{kEmpty};
  std::atomic<std::uintptr_t> key{0};
  // mode | watched << 1 | notify << 8 | signo << 16 | tid << 32
  std::atomic<std::uint64_t> meta{0};
  std::atomic<std::uint64_t> site{0};
  std::atomic<std::uintptr_t> value{0};
  std::atomic<std::int32_t> clock{0};
  // Old mode: the si_overrun of the signal re-delivered at the last re-arm
  // (-1: none), which timer_getoverrun reports until `overrun_until` (ns on
  // the timer's clock: the new setting's first expiry).
  std::atomic<std::int32_t> overrun{-1};
  std::atomic<std::int64_t> overrun_until{0};
};

// Tracks `timer` (replacing any entry its ID left behind).
void TrackPosixTimer(timer_t timer, const PosixTimer& t);
void ForgetPosixTimer(timer_t timer);
// The live slot of `timer`, or null.
TimerSlot* FindSlot(timer_t timer);
// Its entry; `tracked` and `watched` false when the shim does not know it.
PosixTimer LookupPosixTimer(timer_t timer);

}  // namespace timerbisect::shim
