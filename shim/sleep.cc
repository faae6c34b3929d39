// Sleeps: short-sleep latency (nanosleep, clock_nanosleep, usleep, sleep,
// thrd_sleep).
//
// latency (a sleep of at most TIMERSEM_SHORT, or an absolute deadline
// within it or already past):
//   old: sleeps at least TIMERSEM_LAG;
//   new: returns at once, after a cancellation point and a sched_yield.
// A zero relative sleep and an invalid request pass through untouched, with
// no stack walk. glibc implements usleep, sleep and thrd_sleep with internal
// calls to __clock_nanosleep, which no interposer sees, so each has its own
// interceptor. clock_nanosleep is exported as @@GLIBC_2.17 and
// @GLIBC_2.2.5 (one implementation, moved from librt): one interceptor per
// version, each forwarding to its own.
#include <pthread.h>
#include <sched.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "interceptor.h"
#include "timeout.h"

namespace timerbisect::shim {

TB_REAL(nanosleep)
TB_REAL_VERSIONED(clock_nanosleep, v2_17, "GLIBC_2.17")
TB_REAL_VERSIONED(clock_nanosleep, v2_2_5, "GLIBC_2.2.5")
TB_REAL(usleep)
TB_REAL(sleep)
TB_REAL(thrd_sleep)

namespace {

using ClockNanosleepFn = RealFunction<decltype(&::clock_nanosleep)>;

// New mode: the sleep of `request_ns` has already elapsed, and to this
// thread its clock says so (clock_ahead.h). Still a cancellation point and
// still gives up the CPU, as a sleep would.
void ReturnAtOnce(std::int64_t request_ns) {
  PutClockAhead(request_ns);
  pthread_testcancel();
  sched_yield();
}

// Old mode: sleeps at least the lag on `clock`, relatively, through the
// caller's own version of clock_nanosleep. Returns 0 or an error number;
// on EINTR `rem` (when not null) holds the time left of the lag.
//
// Deliberate difference: an interrupted old sleep reports the time left of
// the lag, not of the caller's request. The request has become a lag-long
// sleep, so a loop that resumes with the remaining time
// (while (nanosleep(&t, &t) == -1 && errno == EINTR)) sleeps the lag in
// total, as an uninterrupted old sleep does. The value is a valid timespec
// no longer than the lag; sleep() clamps its unslept seconds to its argument.
int SleepAtLeastLag(ClockNanosleepFn& real, clockid_t clock, std::int64_t request_ns,
                    timespec* rem) {
  timespec wait = FromNs(OldWaitNs(request_ns));
  return real(clock, 0, &wait, rem);
}

// Clocks whose sleeps mean waiting for time to pass.
//
// Deliberate difference: sleeps on CPU-time clocks (thread CPU clocks,
// which clock_nanosleep rejects with EINVAL, and process CPU clocks) and on
// the alarm clocks (EPERM without CAP_WAKE_ALARM) stay native, so their
// errors and their very different notion of "short" remain the kernel's.
bool IsWallClock(clockid_t clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME ||
         clock == CLOCK_TAI;
}

int ClockNanosleep(ClockNanosleepFn& real, clockid_t clock, int flags, const timespec* req,
                   timespec* rem) {
  if (!ShimActive() || !IsWallClock(clock)) return real(clock, flags, req, rem);
  if ((flags & TIMER_ABSTIME) == 0) {
    std::int64_t request_ns = RelativeTimeoutNs(req);
    if (request_ns < 0) return real(clock, flags, req, rem);
    switch (DecideLatency(Api::kClockNanosleep, request_ns)) {
      case Latency::kNative:
        return real(clock, flags, req, rem);
      case Latency::kOld:
        return SleepAtLeastLag(real, clock, request_ns, rem);
      case Latency::kNew:
        ReturnAtOnce(request_ns);
        return 0;
    }
  }
  // Absolute: a deadline already past is short too (it is how "wait 1 ns"
  // often reaches the kernel). The kernel never writes `rem` for these.
  if (!ValidTimespecAt(req)) return real(clock, flags, req, rem);
  std::int64_t now_ns = ClockNowNs(clock);
  // An absolute deadline on CLOCK_REALTIME or CLOCK_TAI is about 1.8e9 s
  // today; saturate only where nanoseconds would overflow.
  constexpr time_t kMaxSec = INT64_MAX / kNsPerSec - 1;
  std::int64_t remaining_ns = req->tv_sec >= kMaxSec ? INT64_MAX : ToNs(*req) - now_ns;
  switch (DecideLatency(Api::kClockNanosleep, remaining_ns)) {
    case Latency::kNative:
      break;
    case Latency::kOld: {
      timespec deadline = FromNs(now_ns + OldWaitNs(remaining_ns));
      return real(clock, flags, &deadline, rem);
    }
    case Latency::kNew:
      ReturnAtOnce(remaining_ns);
      return 0;
  }
  return real(clock, flags, req, rem);
}

// nanosleep and usleep (0 or -1 with errno) under the latency aspect: a
// short sleep lags (old) or returns at once (new); nullopt: sleep natively.
// Both are clock_nanosleep on CLOCK_REALTIME in glibc.
std::optional<int> RelativeSleep(Api api, std::int64_t request_ns, timespec* rem) {
  switch (DecideLatency(api, request_ns)) {
    case Latency::kNative:
      return std::nullopt;
    case Latency::kOld: {
      int err = SleepAtLeastLag(real_clock_nanosleep_v2_17, CLOCK_REALTIME, request_ns, rem);
      if (err == 0) return 0;
      errno = err;
      return -1;
    }
    case Latency::kNew:
      ReturnAtOnce(request_ns);
      return 0;
  }
  return std::nullopt;
}

// glibc's sleep returns the whole seconds left (measured on Debian 12's
// 2.36: a sleep(5) interrupted after 1.3 s returns 3).
unsigned WholeSeconds(const timespec& ts) {
  return static_cast<unsigned>(ts.tv_sec);
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int nanosleep(const timespec* req, timespec* rem) {
  if (!ShimActive()) return real_nanosleep(req, rem);
  std::int64_t request_ns = RelativeTimeoutNs(req);
  if (request_ns < 0) return real_nanosleep(req, rem);
  if (std::optional<int> result = RelativeSleep(Api::kNanosleep, request_ns, rem)) return *result;
  return real_nanosleep(req, rem);
}

TB_EXPORT int tb_clock_nanosleep_v2_17(clockid_t clock, int flags, const timespec* req,
                                       timespec* rem) {
  return ClockNanosleep(real_clock_nanosleep_v2_17, clock, flags, req, rem);
}
TB_SYMVER(tb_clock_nanosleep_v2_17, "clock_nanosleep@@GLIBC_2.17");

TB_EXPORT int tb_clock_nanosleep_v2_2_5(clockid_t clock, int flags, const timespec* req,
                                        timespec* rem) {
  return ClockNanosleep(real_clock_nanosleep_v2_2_5, clock, flags, req, rem);
}
TB_SYMVER(tb_clock_nanosleep_v2_2_5, "clock_nanosleep@GLIBC_2.2.5");

TB_EXPORT int usleep(useconds_t usec) {
  if (!ShimActive() || usec == 0) return real_usleep(usec);
  std::int64_t request_ns = std::int64_t{usec} * 1'000;
  if (std::optional<int> result = RelativeSleep(Api::kUsleep, request_ns, nullptr)) return *result;
  return real_usleep(usec);
}

TB_EXPORT unsigned sleep(unsigned seconds) {
  if (!ShimActive() || seconds == 0) return real_sleep(seconds);
  std::int64_t request_ns = std::int64_t{seconds} * kNsPerSec;
  switch (DecideLatency(Api::kSleep, request_ns)) {
    case Latency::kNative:
      break;
    case Latency::kOld: {
      timespec rem{};
      int err = SleepAtLeastLag(real_clock_nanosleep_v2_17, CLOCK_REALTIME, request_ns, &rem);
      if (err == 0) return 0;
      errno = err;
      return std::min(WholeSeconds(rem), seconds);
    }
    case Latency::kNew:
      ReturnAtOnce(request_ns);
      return 0;
  }
  return real_sleep(seconds);
}

// thrd_sleep returns 0, -1 when interrupted (with `remaining` set) or
// another negative value on error, and leaves errno alone.
TB_EXPORT int thrd_sleep(const timespec* duration, timespec* remaining) {
  if (!ShimActive()) return real_thrd_sleep(duration, remaining);
  std::int64_t request_ns = RelativeTimeoutNs(duration);
  if (request_ns < 0) return real_thrd_sleep(duration, remaining);
  switch (DecideLatency(Api::kThrdSleep, request_ns)) {
    case Latency::kNative:
      break;
    case Latency::kOld: {
      int err = SleepAtLeastLag(real_clock_nanosleep_v2_17, CLOCK_REALTIME, request_ns, remaining);
      return err == 0 ? 0 : err == EINTR ? -1 : -2;
    }
    case Latency::kNew:
      ReturnAtOnce(request_ns);
      return 0;
  }
  return real_thrd_sleep(duration, remaining);
}
