// Waits for descriptor readiness with a timeout: short-timeout latency
// (poll, ppoll, select, pselect and the _FORTIFY_SOURCE entry points
// __poll_chk and __ppoll_chk).
//
// latency (a timeout of at most TIMERSEM_SHORT):
//   old: with nothing ready, waits up to TIMERSEM_LAG, so events arriving
//        meanwhile win: the short timeout is replaced by the lag;
//   new: the timeout has already elapsed: the call is made with a zero
//        timeout and reports only what is ready.
// Zero (non-blocking) and infinite timeouts pass through untouched with no
// stack walk. Signal masks are passed through unchanged.

// This file defines poll and ppoll itself; the fortified inline wrappers of
// <bits/poll2.h> would collide with those definitions.
#undef _FORTIFY_SOURCE

#include <poll.h>
#include <signal.h>
#include <sys/select.h>

#include <cstddef>

#include "interceptor.h"
#include "timeout.h"

// The _FORTIFY_SOURCE entry points (glibc 2.16+), declared by
// <bits/poll2.h> only in fortified builds. fdslen is the size of the fds
// buffer the compiler saw; the real function checks it against nfds.
extern "C" int __poll_chk(pollfd* fds, nfds_t nfds, int timeout, std::size_t fdslen);
extern "C" int __ppoll_chk(pollfd* fds, nfds_t nfds, const timespec* timeout, const sigset_t* ss,
                           std::size_t fdslen);

namespace timerbisect::shim {

TB_REAL(poll)
TB_REAL(ppoll)
TB_REAL(select)
TB_REAL(pselect)
TB_REAL(__poll_chk)
TB_REAL(__ppoll_chk)

namespace {

// Adjusts a select timeval in place; Linux then rewrites it with the time
// left (select(2), "Linux: select() modifies timeout").
//
// Deliberate difference: the time left is that of the adjusted wait (0 in
// new, up to the lag in old), as if the caller had asked for it. It is a
// valid timeval, and a loop that resumes with it waits the lag in total, as
// an uninterrupted old wait does.
void AdjustSelectTimeout(timeval* timeout, const void* caller) {
  if (!MayBeUserMemory(timeout) || timeout->tv_sec < 0 || timeout->tv_usec < 0) return;
  if (timeout->tv_sec == 0 && timeout->tv_usec == 0) return;  // non-blocking
  // Linux normalizes tv_usec >= 1000000, so count it whole.
  std::int64_t request_ns =
      timeout->tv_sec >= 1'000'000'000
          ? INT64_MAX
          : timeout->tv_sec * kNsPerSec + std::int64_t{timeout->tv_usec} * 1'000;
  switch (DecideLatency(Api::kSelect, request_ns, caller)) {
    case Latency::kNative:
      return;
    case Latency::kOld: {
      std::int64_t wait_us = (OldWaitNs(request_ns) + 999) / 1'000;  // at least the lag
      timeout->tv_sec = static_cast<time_t>(wait_us / 1'000'000);
      timeout->tv_usec = static_cast<suseconds_t>(wait_us % 1'000'000);
      return;
    }
    case Latency::kNew:
      PutClockAhead(request_ns);
      timeout->tv_sec = 0;
      timeout->tv_usec = 0;
      return;
  }
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int poll(pollfd* fds, nfds_t nfds, int timeout) {
  if (!ShimActive()) return real_poll(fds, nfds, timeout);
  return real_poll(fds, nfds, AdjustTimeoutMs(Api::kPoll, timeout, __builtin_return_address(0)));
}

TB_EXPORT int __poll_chk(pollfd* fds, nfds_t nfds, int timeout, std::size_t fdslen) {
  if (!ShimActive()) return real___poll_chk(fds, nfds, timeout, fdslen);
  return real___poll_chk(fds, nfds,
                         AdjustTimeoutMs(Api::kPoll, timeout, __builtin_return_address(0)), fdslen);
}

TB_EXPORT int ppoll(pollfd* fds, nfds_t nfds, const timespec* timeout, const sigset_t* ss) {
  if (!ShimActive()) return real_ppoll(fds, nfds, timeout, ss);
  timespec storage;
  return real_ppoll(fds, nfds,
                    AdjustTimeout(Api::kPpoll, timeout, storage, __builtin_return_address(0)), ss);
}

TB_EXPORT int __ppoll_chk(pollfd* fds, nfds_t nfds, const timespec* timeout, const sigset_t* ss,
                          std::size_t fdslen) {
  if (!ShimActive()) return real___ppoll_chk(fds, nfds, timeout, ss, fdslen);
  timespec storage;
  return real___ppoll_chk(fds, nfds,
                          AdjustTimeout(Api::kPpoll, timeout, storage, __builtin_return_address(0)),
                          ss, fdslen);
}

TB_EXPORT int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                     timeval* timeout) {
  if (!ShimActive()) return real_select(nfds, readfds, writefds, exceptfds, timeout);
  AdjustSelectTimeout(timeout, __builtin_return_address(0));
  return real_select(nfds, readfds, writefds, exceptfds, timeout);
}

TB_EXPORT int pselect(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                      const timespec* timeout, const sigset_t* ss) {
  if (!ShimActive()) return real_pselect(nfds, readfds, writefds, exceptfds, timeout, ss);
  timespec storage;
  return real_pselect(nfds, readfds, writefds, exceptfds,
                      AdjustTimeout(Api::kPselect, timeout, storage, __builtin_return_address(0)),
                      ss);
}
