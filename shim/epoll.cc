// epoll waits with a timeout: short-timeout latency (epoll_wait,
// epoll_pwait, epoll_pwait2).
//
// latency (a timeout of at most TIMERSEM_SHORT):
//   old: with nothing ready, waits up to TIMERSEM_LAG, so events arriving
//        meanwhile win (millisecond timeouts round the lag up to whole ms);
//   new: the timeout has already elapsed: ready events only (zero timeout).
// Zero (non-blocking) and infinite timeouts pass through untouched with no
// stack walk; signal masks are passed through unchanged. epoll_pwait2
// (glibc 2.35+) fails with ENOSYS where libc lacks it.
#include <signal.h>
#include <sys/epoll.h>

#include "interceptor.h"
#include "timeout.h"

namespace timerbisect::shim {

TB_REAL(epoll_wait)
TB_REAL(epoll_pwait)
TB_REAL(epoll_pwait2)

}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout) {
  if (!ShimActive()) return real_epoll_wait(epfd, events, maxevents, timeout);
  return real_epoll_wait(epfd, events, maxevents,
                         AdjustTimeoutMs(Api::kEpollWait, timeout, __builtin_return_address(0)));
}

TB_EXPORT int epoll_pwait(int epfd, epoll_event* events, int maxevents, int timeout,
                          const sigset_t* ss) {
  if (!ShimActive()) return real_epoll_pwait(epfd, events, maxevents, timeout, ss);
  return real_epoll_pwait(epfd, events, maxevents,
                          AdjustTimeoutMs(Api::kEpollPwait, timeout, __builtin_return_address(0)),
                          ss);
}

TB_EXPORT int epoll_pwait2(int epfd, epoll_event* events, int maxevents, const timespec* timeout,
                           const sigset_t* ss) {
  if (!ShimActive()) return real_epoll_pwait2(epfd, events, maxevents, timeout, ss);
  timespec storage;
  return real_epoll_pwait2(
      epfd, events, maxevents,
      AdjustTimeout(Api::kEpollPwait2, timeout, storage, __builtin_return_address(0)), ss);
}
