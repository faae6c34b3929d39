// Under new, a short wait ends at once: a timed wait on a condvar,
// semaphore, mutex, rwlock or futex times out (cond.cc, futex.cc), a sleep
// returns (sleep.cc), a poll-family wait returns what is ready (timeout.h,
// poll.cc). Code that compares the clock with its own deadline when the
// wait returns (libstdc++'s condition_variable, condition_variable_any,
// counting_semaphore and sleep_until on system_clock, jthread's stop_token
// wait, an event loop computing its next timer) would find the deadline not
// reached, take the early return for a spurious wake-up and wait again: it
// spun until the real deadline and the timeout never won a race. So until
// real time reaches the deadline (at most TIMERSEM_SHORT later), the
// waiting thread's wall and monotonic clocks read at least that deadline:
// to the thread, the wait took its whole timeout in no time. Other threads,
// CPU-time clocks and CLOCK_MONOTONIC_RAW keep real time.
#pragma once

#include <time.h>

#include <cstdint>

namespace timerbisect::shim {

// The real clock, for the shim's own reads (never ahead).
int RealClockGettime(clockid_t clock, timespec* ts);

// Puts this thread's clocks `remaining_ns` ahead of real time, until real
// time catches up (nothing if not positive; an earlier, later deadline
// stands).
void PutClockAhead(std::int64_t remaining_ns);

}  // namespace timerbisect::shim
