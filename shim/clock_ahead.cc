#include "clock_ahead.h"

#include <sys/time.h>

#include <algorithm>
#include <cerrno>

#include "guard.h"
#include "interceptor.h"
#include "timespec.h"

namespace timerbisect::shim {
namespace {

TB_REAL(clock_gettime)
TB_REAL(gettimeofday)

// Real CLOCK_MONOTONIC time until which this thread's clocks read ahead; 0:
// they do not. Initial-exec, as every clock read checks it.
thread_local std::int64_t t_ahead_until __attribute__((tls_model("initial-exec"))) = 0;

// The clocks that tell the time of day or the time since boot: the ones a
// program compares its deadlines with.
bool ReadsAhead(clockid_t clock) {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
      return true;
    default:
      return false;
  }
}

// How far ahead this thread's clocks read now; 0 (and forgotten) once real
// time has got there. Keeps errno.
std::int64_t AheadNs() {
  const int saved_errno = errno;
  timespec mono;
  std::int64_t ahead = 0;
  if (real_clock_gettime(CLOCK_MONOTONIC, &mono) == 0) ahead = t_ahead_until - ToNs(mono);
  if (ahead <= 0) {
    t_ahead_until = 0;
    ahead = 0;
  }
  errno = saved_errno;
  return ahead;
}

}  // namespace

int RealClockGettime(clockid_t clock, timespec* ts) {
  return real_clock_gettime(clock, ts);
}

void PutClockAhead(std::int64_t remaining_ns) {
  timespec mono;
  if (remaining_ns <= 0 || real_clock_gettime(CLOCK_MONOTONIC, &mono) != 0) return;
  t_ahead_until = std::max(t_ahead_until, ToNs(mono) + remaining_ns);
}

}  // namespace timerbisect::shim

using namespace timerbisect::shim;

// The one check every clock read pays is whether this thread is ahead at
// all; the shim's own reads (under the guard) are real.
TB_EXPORT int clock_gettime(clockid_t clock, timespec* ts) {
  int result = real_clock_gettime(clock, ts);
  if (t_ahead_until == 0 || result != 0 || t_in_shim || !ReadsAhead(clock)) return result;
  if (std::int64_t ahead = AheadNs(); ahead > 0) *ts = FromNs(ToNs(*ts) + ahead);
  return result;
}

TB_EXPORT int gettimeofday(timeval* tv, void* tz) {
  int result = real_gettimeofday(tv, tz);
  // glibc declares tv nonnull, yet gettimeofday(NULL, NULL) is legal and
  // returns 0: the compiler must not take the check out.
  timeval* out = tv;
  __asm__("" : "+r"(out));
  if (t_ahead_until == 0 || result != 0 || out == nullptr || t_in_shim) return result;
  if (std::int64_t ahead = AheadNs(); ahead > 0) {
    std::int64_t us = std::int64_t{out->tv_sec} * 1'000'000 + out->tv_usec + ahead / 1000;
    out->tv_sec = static_cast<time_t>(us / 1'000'000);
    out->tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  }
  return result;
}
