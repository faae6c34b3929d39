// Watch mode (TIMERSEM=watch): report every site, change nothing, count.
//
// DecideSite reports each site in scope once per process with its frames and
// returns counts=false, watched=true; the interceptors keep native
// semantics and count the call here, per site ID:
//   arms     the first arming of a timer object (timerfd_settime,
//            timer_settime, setitimer/alarm/ualarm on a timer that is not
//            armed), or one timed call (sleep, poll, epoll, select, condvar,
//            semaphore, mutex or futex wait with a finite, non-zero timeout);
//   rearms   a setting of a timer that is still armed, or a disarm;
//   short    arms and re-arms due within TIMERSEM_SHORT.
// Other modes never reach this file: their interceptors branch here only
// where DecideSite said watched, or (timeout.h, cond.cc, futex.cc) on the
// config's watch flag.
//
// At exit (a destructor: exit() from any thread, or a return from main)
// each process writes, per site it counted:
//   [bisect-match 0x...] timerbisect stats arms=N rearms=N short=N
// and one line per timerfd it opened and did not close, and per POSIX timer
// it created and did not delete (the native analogue of Go's unstopped
// timers):
//   [bisect-match 0x...] timerbisect open timerfd armed=0|1
//   [bisect-match 0x...] timerbisect open posix_timer armed=0|1
// Nothing is written by a process that ends in _exit, exec, a fatal signal
// or the driver's timeout kill: destructors do not run there.
#pragma once

#include <cstdint>

#include "site.h"

namespace timerbisect::shim {

inline constexpr unsigned kWatchArm = 1u << 0;
inline constexpr unsigned kWatchRearm = 1u << 1;
inline constexpr unsigned kWatchShort = 1u << 2;

// Adds `events` (kWatch* bits; 0 only makes sure the site has a stats line)
// to the site's counters. Lock-free and async-signal-safe; a site beyond
// the table's capacity is not counted.
void CountWatched(std::uint64_t site, unsigned events);

// The events of one setting of a timer object: `armed_before` its state
// before, `value_ns` the new first expiry (0: disarm), `remaining_ns` how
// far away that is.
unsigned SettingEvents(bool armed_before, std::int64_t value_ns, std::int64_t remaining_ns);

// A timed call due in `remaining_ns` (<= 0: a deadline already past): decides
// its site (reporting it) and counts one arm, short or not. Call without the
// reentrancy guard held; keeps errno.
void WatchTimedCall(Api api, std::int64_t remaining_ns);

// In a fork child: its counters start at zero, and the parent's timerfds are
// left out of its exit report. Does nothing outside watch mode.
void ResetWatchAfterFork();

// Implemented beside the POSIX timer table (posix_timer.cc): calls
// fn(site, armed) for every watched timer this process created and has not
// deleted.
void ForEachWatchedPosixTimer(void (*fn)(std::uint64_t site, bool armed));

}  // namespace timerbisect::shim
