// Under new, a short timed wait on a condvar, semaphore, mutex, rwlock or
// futex returns at once, timed out (cond.cc, futex.cc). Code that compares
// the clock with its own deadline when such a wait returns (libstdc++'s
// condition_variable and condition_variable_any, counting_semaphore,
// jthread's stop_token wait) would find the deadline not reached, take the
// timeout for a spurious wake-up and wait again: it spun until the real
// deadline and the timeout never won a race. So until real time reaches the
// deadline (at most TIMERSEM_SHORT later), the waiting thread's wall and
// monotonic clocks read at least that deadline: to the thread, the wait
// took its whole timeout in no time. Other threads, CPU-time clocks and
// CLOCK_MONOTONIC_RAW keep real time.
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
