// The latency aspect's view of a timeout, shared by the sleep, poll and
// epoll interceptors: is it a timer at all, is it short, and what does the
// site's mode make of it.
//
// A zero relative timeout is a non-blocking call and an infinite one is no
// timer: both are classified before anything else and never walk the stack
// (event loops make millions of zero-timeout polls). Long timeouts are not
// touched by either mode, so only short ones pay for DecideSite; a site is
// therefore reported the first time it makes a short wait. Watch mode
// (watch.h) decides, reports and counts every finite non-zero wait instead.
#pragma once

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "guard.h"
#include "lib_loop.h"
#include "site.h"
#include "state.h"
#include "timespec.h"
#include "watch.h"

namespace timerbisect::shim {

// What the latency aspect does with one wait.
enum class Latency : std::uint8_t {
  kNative,  // not short, aspect off, or out of scope: the caller's timeout
  kOld,     // wait at least the lag
  kNew,     // the timeout has already elapsed
};

// Decides a finite, non-zero wait due in `remaining_ns` (<= 0: a deadline
// already past, which is short); `caller`: where the interceptor returns
// (for the poll family, lib_loop.h). Keeps errno.
inline Latency DecideLatency(Api api, std::int64_t remaining_ns, const void* caller = nullptr) {
  if (InsideLibraryLoop(api, caller)) return Latency::kNative;
  const Config& cfg = GetConfig();
  if (cfg.watch) {
    WatchTimedCall(api, remaining_ns);
    return Latency::kNative;
  }
  if (!(cfg.aspects & kAspectLatency) || !IsShort(remaining_ns, cfg.short_ns)) {
    return Latency::kNative;
  }
  SiteDecision site;
  {
    ShimScope scope;
    site = DecideSite(api);
  }
  if (!site.counts) return Latency::kNative;
  return site.mode == Mode::kOld ? Latency::kOld : Latency::kNew;
}

// Relative length of a timespec in ns, or -1 when it is no timer for the
// latency aspect: null (infinite), zero (non-blocking), invalid (the real
// call reports EINVAL) or a pointer that cannot be read (EFAULT).
// Saturates instead of overflowing.
inline std::int64_t RelativeTimeoutNs(const timespec* timeout) {
  if (!ValidTimespecAt(timeout)) return -1;
  if (timeout->tv_sec == 0 && timeout->tv_nsec == 0) return -1;
  if (timeout->tv_sec >= 1'000'000'000) return INT64_MAX;  // > 31 years: never short
  return ToNs(*timeout);
}

// The wait old mode makes instead of a short one of `request_ns`: the lag,
// or the request if a configuration made the lag shorter (old is never
// earlier than native).
inline std::int64_t OldWaitNs(std::int64_t request_ns) {
  return std::max(GetConfig().lag_ns, request_ns);
}

// A millisecond timeout (poll, epoll_wait, epoll_pwait) as the latency
// aspect adjusts it. Old rounds the lag up to whole milliseconds, so the
// wait is still at least the lag.
inline int AdjustTimeoutMs(Api api, int timeout_ms, const void* caller) {
  if (timeout_ms <= 0) return timeout_ms;  // non-blocking or infinite
  std::int64_t request_ns = std::int64_t{timeout_ms} * 1'000'000;
  switch (DecideLatency(api, request_ns, caller)) {
    case Latency::kNative:
      break;
    case Latency::kOld:
      return static_cast<int>(
          std::min<std::int64_t>((OldWaitNs(request_ns) + 999'999) / 1'000'000, INT_MAX));
    case Latency::kNew:
      PutClockAhead(request_ns);
      return 0;
  }
  return timeout_ms;
}

// A relative timespec timeout (ppoll, pselect, epoll_pwait2) as the latency
// aspect adjusts it: the caller's pointer, or `storage` holding the new one.
inline const timespec* AdjustTimeout(Api api, const timespec* timeout, timespec& storage,
                                     const void* caller) {
  std::int64_t request_ns = RelativeTimeoutNs(timeout);
  if (request_ns < 0) return timeout;
  switch (DecideLatency(api, request_ns, caller)) {
    case Latency::kNative:
      return timeout;
    case Latency::kOld:
      storage = FromNs(OldWaitNs(request_ns));
      return &storage;
    case Latency::kNew:
      PutClockAhead(request_ns);
      storage = timespec{0, 0};
      return &storage;
  }
  return timeout;
}

}  // namespace timerbisect::shim
