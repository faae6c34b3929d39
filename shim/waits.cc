// Relative timeouts outside the sleep/poll families: sigtimedwait, and the
// receive and send timeouts a socket is given with setsockopt (SO_RCVTIMEO,
// SO_SNDTIMEO). Only the latency aspect applies.
//
// latency (a timeout of at most TIMERSEM_SHORT):
//   old: at least TIMERSEM_LAG (max(request, lag));
//   new: the timeout has already elapsed. sigtimedwait gets a zero timeout
//        (a signal already pending is still taken, else EAGAIN at once); a
//        socket gets the smallest timeout it can hold, 1 us, since a zero
//        one means "no timeout at all" to the kernel.
// A socket timeout is a site where setsockopt sets it (the wait happens in
// every later recv or send). recvmmsg's timeout is not intercepted: the
// kernel checks it only after each datagram, and otherwise blocks for the
// next one whatever the timeout says, so a stretched (old) timeout turns a
// call that returned natively into one that blocks until more data comes
// (seen here: a test hung), and a zeroed (new) one alone would be half a
// semantics.
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

#include "interceptor.h"
#include "timeout.h"

namespace timerbisect::shim {

TB_REAL(sigtimedwait)
TB_REAL(setsockopt)

namespace {

std::int64_t TimevalNs(const timeval& tv) {
  return static_cast<std::int64_t>(tv.tv_sec) * kNsPerSec + std::int64_t{tv.tv_usec} * 1000;
}

// Rounded up: never shorter than asked.
timeval TimevalFromNs(std::int64_t ns) {
  std::int64_t us = (ns + 999) / 1000;
  return {static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

bool IsSocketTimeout(int level, int name, socklen_t length) {
  return level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) &&
         length == sizeof(timeval);
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int sigtimedwait(const sigset_t* set, siginfo_t* info, const timespec* timeout) {
  if (!ShimActive()) return real_sigtimedwait(set, info, timeout);
  timespec storage;
  return real_sigtimedwait(set, info, AdjustTimeout(Api::kSigtimedwait, timeout, storage, nullptr));
}

TB_EXPORT int setsockopt(int fd, int level, int name, const void* value, socklen_t length) {
  if (!ShimActive() || !MayBeUserMemory(value, sizeof(timeval)) ||
      !IsSocketTimeout(level, name, length)) {
    return real_setsockopt(fd, level, name, value, length);
  }
  const timeval& asked = *static_cast<const timeval*>(value);
  std::int64_t ns = TimevalNs(asked);
  if (asked.tv_sec < 0 || asked.tv_usec < 0 || asked.tv_usec >= 1'000'000 || ns == 0) {
    return real_setsockopt(fd, level, name, value, length);  // invalid, or no timeout
  }
  timeval adjusted = asked;
  switch (DecideLatency(Api::kSocketTimeout, ns)) {
    case Latency::kNative:
      break;
    case Latency::kOld:
      adjusted = TimevalFromNs(OldWaitNs(ns));
      break;
    case Latency::kNew:
      adjusted = timeval{0, 1};
      break;
  }
  return real_setsockopt(fd, level, name, &adjusted, length);
}
