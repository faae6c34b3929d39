// Time arithmetic shared by the interceptors. All inline, no allocation;
// usable from signal handlers.
#pragma once

#include <time.h>

#include <cstdint>

#include "clock_ahead.h"
#include "user_pointer.h"

namespace timerbisect::shim {

inline constexpr std::int64_t kNsPerSec = 1'000'000'000;
// The largest magnitude ToNs returns, about 146 years: a time beyond it,
// such as a "never" deadline of {LONG_MAX, 0}, must not wrap into the past
// (it did: such waits ended at once under old and new), and the sum or
// difference of two such values, or of one and a clock reading, still
// fits in 64 bits.
inline constexpr std::int64_t kNsSaturated = INT64_MAX / 2;

inline std::int64_t SaturatedNs(std::int64_t sec, std::int64_t sub_ns) {
  if (sec >= kNsSaturated / kNsPerSec) return kNsSaturated;
  if (sec <= -kNsSaturated / kNsPerSec) return -kNsSaturated;
  return sec * kNsPerSec + sub_ns;
}

inline std::int64_t ToNs(const timespec& ts) {
  return SaturatedNs(ts.tv_sec, ts.tv_nsec);
}

inline timespec FromNs(std::int64_t ns) {
  if (ns < 0) ns = 0;
  return {static_cast<time_t>(ns / kNsPerSec), static_cast<long>(ns % kNsPerSec)};
}

inline std::int64_t ClockNowNs(clockid_t clock) {
  timespec now;
  if (RealClockGettime(clock, &now) != 0) RealClockGettime(CLOCK_MONOTONIC, &now);
  return ToNs(now);
}

// What the kernel accepts (itimerspec64_valid): a request that fails it is
// passed on untouched, so the program gets its EINVAL, not a timer armed
// for the lag.
inline bool ValidTimespec(const timespec& ts) {
  return ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < kNsPerSec;
}

// A timer value the program passed by pointer that the shim may read and
// the kernel would accept: else the real call gets it untouched (EFAULT,
// EINVAL stay the kernel's).
inline bool ValidTimespecAt(const timespec* ts) {
  return MayBeUserMemory(ts) && ValidTimespec(*ts);
}

inline bool ValidItimerspec(const itimerspec& value) {
  return ValidTimespec(value.it_value) && ValidTimespec(value.it_interval);
}

// A timer or timeout is "short" (latency aspect) when it is armed and due
// within short_ns; a deadline already past is short too.
inline bool IsShort(std::int64_t remaining_ns, std::int64_t short_ns) {
  return remaining_ns <= short_ns;
}

// Time until the first expiry an arming request asks for (timerfd_settime,
// timer_settime): relative, or absolute on `clock`.
inline std::int64_t RequestedRemainingNs(const itimerspec& value, bool absolute, clockid_t clock) {
  std::int64_t v = ToNs(value.it_value);
  return absolute ? v - ClockNowNs(clock) : v;
}

// Old latency for a short arming (timerfd_settime, timer_settime): the first
// expiry no earlier than `lag_ns` from now, and never earlier than asked (a
// request at or beyond the lag is armed as it is). `abstime_flag` is the
// API's TIMER_ABSTIME bit; a relative request drops it.
inline void ArmNoEarlierThanLag(itimerspec& request, int& flags, int abstime_flag, clockid_t clock,
                                std::int64_t remaining_ns, std::int64_t lag_ns) {
  if (remaining_ns >= lag_ns) return;
  timespec now;
  if ((flags & abstime_flag) && clock_gettime(clock, &now) == 0) {
    request.it_value = FromNs(ToNs(now) + lag_ns);
  } else {
    request.it_value = FromNs(lag_ns);
    flags &= ~abstime_flag;
  }
}

// old_value of a setting whose next expiration old mode counted as fired:
// a one-shot timer is no longer pending; a periodic one is due one interval
// after the expiration counted (unless the kernel saw it fire already).
inline void ReportFired(itimerspec& old, std::int64_t lag_ns) {
  std::int64_t value = ToNs(old.it_value);
  std::int64_t interval = ToNs(old.it_interval);
  if (interval == 0) {
    old.it_value = timespec{0, 0};
  } else if (value != 0 && value <= lag_ns) {
    old.it_value = FromNs(value + interval);
  }
}

}  // namespace timerbisect::shim
