// syscall(2): the futex waits that reach the kernel through glibc's generic
// syscall() rather than a libc wrapper. libstdc++ 12 waits this way in
// std::future::wait_for (FUTEX_WAIT_BITSET, absolute), std::counting_semaphore
// and std::atomic::wait (FUTEX_WAIT_BITSET_PRIVATE, absolute on
// CLOCK_MONOTONIC), as do Rust's Condvar and GLib's GCond.
//
// latency (timeout at most TIMERSEM_SHORT, or an absolute one already past):
//   FUTEX_WAIT         relative, measured on CLOCK_MONOTONIC (also with
//                      FUTEX_CLOCK_REALTIME, which Linux 4.5+ accepts for it)
//   FUTEX_WAIT_BITSET  absolute, CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME
//   old: the timeout ends no earlier than TIMERSEM_LAG from now, so a
//        FUTEX_WAKE arriving meanwhile wins;
//   new: the timeout has already elapsed: the kernel still compares the
//        futex word first (EAGAIN when it changed, "acquire if possible"),
//        then returns ETIMEDOUT unless woken. A relative FUTEX_WAIT is
//        passed as FUTEX_WAIT_BITSET with a deadline in the past.
// A zero relative timeout is a non-blocking check, and a null one no timer:
// both pass through, as do timeouts the kernel rejects (EINVAL stays its).
//
// The timer system calls the shim intercepts in libc (nanosleep,
// clock_nanosleep, ppoll, epoll_wait, epoll_pwait, timerfd_settime,
// setitimer) go through those interceptors: the same semantics and sites.
//
// Every other syscall passes through untouched, before any shim state is
// looked at: the shim's own machinery may call syscall() (the first stack
// walker, libunwind, did), and the loader and constructors call syscall()
// before the shim is initialized. The pass-through issues the system call itself, as glibc's
// syscall() does, instead of forwarding to the real syscall() found by dlsym
// (resolving it could itself end up here).
#include <linux/futex.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>

#include "interceptor.h"
#include "timespec.h"
#include "watch.h"

namespace timerbisect::shim {
namespace {

// The raw system call with six argument registers; returns the kernel's
// value (-errno on failure). glibc's syscall() is the same instruction
// sequence and is no cancellation point either.
#if defined(__x86_64__)
long RawSyscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) {
  long result;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "0"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return result;
}
#elif defined(__aarch64__)
long RawSyscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) {
  register long x8 __asm__("x8") = number;
  register long x0 __asm__("x0") = a1;
  register long x1 __asm__("x1") = a2;
  register long x2 __asm__("x2") = a3;
  register long x3 __asm__("x3") = a4;
  register long x4 __asm__("x4") = a5;
  register long x5 __asm__("x5") = a6;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}
#else
#error "futex.cc: RawSyscall needs the system call sequence of this architecture"
#endif

// syscall()'s contract: -1 and errno for a kernel error (-4095..-1).
long SyscallResult(long raw) {
  if (static_cast<unsigned long>(raw) > static_cast<unsigned long>(-4096L)) {
    errno = static_cast<int>(-raw);
    return -1;
  }
  return raw;
}

// Watch mode: counts a futex wait with a finite timeout for its site.
void WatchFutexWait(int op, const timespec* timeout) {
  if (!ValidTimespecAt(timeout)) return;
  const bool absolute = (op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET;
  std::int64_t requested_ns = ToNs(*timeout);
  if (!absolute) {
    if (requested_ns != 0) WatchTimedCall(Api::kFutexWait, requested_ns);  // 0: non-blocking
    return;
  }
  const clockid_t clock = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  WatchTimedCall(Api::kFutexWait, requested_ns - ClockNowNs(clock));
}

// The latency aspect for a futex wait's timeout: returns what to pass to the
// kernel, `timeout` itself when nothing changes, else `storage`. The site is
// decided only for short timeouts (as in cond.cc). Under new, a relative
// FUTEX_WAIT becomes the same wait as FUTEX_WAIT_BITSET (every bit) with
// an absolute deadline at the clock's epoch (`op` and `val3` changed): a
// relative {0, 0} still slept the kernel's timer slack (about 50 us, as
// long as the wait it replaced), a deadline in the past does not.
const timespec* AdjustFutexTimeout(long& op_arg, long& val3, const timespec* timeout,
                                   timespec& storage) {
  const int op = static_cast<int>(op_arg);
  const Config& cfg = GetConfig();
  if (cfg.watch) {
    WatchFutexWait(op, timeout);
    return timeout;
  }
  if (!(cfg.aspects & kAspectLatency) || !ValidTimespecAt(timeout)) return timeout;
  const int command = op & FUTEX_CMD_MASK;
  const bool absolute = command == FUTEX_WAIT_BITSET;
  const clockid_t clock =
      absolute && (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  std::int64_t requested_ns = ToNs(*timeout);
  if (!absolute && requested_ns == 0) return timeout;  // a non-blocking check, not a timer
  const timespec* result = timeout;
  {
    ShimScope scope;
    std::int64_t now_ns = absolute ? ClockNowNs(clock) : 0;
    if (IsShort(requested_ns - now_ns, cfg.short_ns)) {
      SiteDecision site = DecideSite(Api::kFutexWait);
      if (site.counts) {
        if (site.mode == Mode::kOld) {
          storage = FromNs(std::max(requested_ns, now_ns + cfg.lag_ns));
        } else {
          // The clock's epoch: already elapsed; to this thread, the wait
          // took its whole timeout (clock_ahead.h).
          storage = timespec{0, 0};
          PutClockAhead(requested_ns - now_ns);
          if (!absolute) {
            op_arg = (op & ~(FUTEX_CMD_MASK | FUTEX_CLOCK_REALTIME)) | FUTEX_WAIT_BITSET;
            val3 = static_cast<long>(FUTEX_BITSET_MATCH_ANY);
          }
        }
        result = &storage;
      }
    }
  }
  return result;
}

// syscall() with the number of a timer function the shim intercepts in
// libc: the same semantics, through that interceptor (the exported symbol,
// which is this shim's when it is preloaded). Returns false for any other
// number. timer_settime is not among them: a raw SYS_timer_settime names a
// kernel timer from a raw SYS_timer_create, which the shim never saw.
bool ForwardTimerSyscall(long number, long a1, long a2, long a3, long a4, long a5, long& result) {
  switch (number) {
    case SYS_nanosleep:
      result = ::nanosleep(reinterpret_cast<const timespec*>(a1), reinterpret_cast<timespec*>(a2));
      return true;
    case SYS_clock_nanosleep: {
      int err =
          ::clock_nanosleep(static_cast<clockid_t>(a1), static_cast<int>(a2),
                            reinterpret_cast<const timespec*>(a3), reinterpret_cast<timespec*>(a4));
      if (err != 0) errno = err;  // syscall()'s contract, not clock_nanosleep's
      result = err != 0 ? -1 : 0;
      return true;
    }
    case SYS_ppoll:
      // The raw system call would write the time left back into the
      // timeout; glibc's ppoll, used here, does not.
      result =
          ::ppoll(reinterpret_cast<pollfd*>(a1), static_cast<nfds_t>(a2),
                  reinterpret_cast<const timespec*>(a3), reinterpret_cast<const sigset_t*>(a4));
      return true;
    case SYS_epoll_wait:
      result = ::epoll_wait(static_cast<int>(a1), reinterpret_cast<epoll_event*>(a2),
                            static_cast<int>(a3), static_cast<int>(a4));
      return true;
    case SYS_epoll_pwait:
      result = ::epoll_pwait(static_cast<int>(a1), reinterpret_cast<epoll_event*>(a2),
                             static_cast<int>(a3), static_cast<int>(a4),
                             reinterpret_cast<const sigset_t*>(a5));
      return true;
    case SYS_timerfd_settime:
      result = ::timerfd_settime(static_cast<int>(a1), static_cast<int>(a2),
                                 reinterpret_cast<const itimerspec*>(a3),
                                 reinterpret_cast<itimerspec*>(a4));
      return true;
    case SYS_setitimer:
      result =
          ::setitimer(static_cast<__itimer_which_t>(a1), reinterpret_cast<const itimerval*>(a2),
                      reinterpret_cast<itimerval*>(a3));
      return true;
    default:
      return false;
  }
}

bool IsTimerSyscall(long number) {
  return number == SYS_nanosleep || number == SYS_clock_nanosleep || number == SYS_ppoll ||
         number == SYS_epoll_wait || number == SYS_epoll_pwait || number == SYS_timerfd_settime ||
         number == SYS_setitimer;
}

bool IsTimedFutexWait(long number, long op, long timeout) {
  if (number != SYS_futex || timeout == 0) return false;
  const int command = static_cast<int>(op) & FUTEX_CMD_MASK;
  return command == FUTEX_WAIT || command == FUTEX_WAIT_BITSET;
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

// glibc declares syscall() __THROW, hence noexcept. Like glibc's, it reads
// six arguments whatever the call passed: extra ones are unused. The sixth
// lives in the caller's stack frame (the first five in registers), so with
// fewer arguments va_arg reads a stack slot the caller never wrote, which is
// harmless (glibc's assembly reads the same slot) but which AddressSanitizer
// would report as a stack-buffer-underflow: hence no_sanitize_address.
TB_EXPORT __attribute__((no_sanitize_address)) long syscall(long number, ...) noexcept {
  va_list args;
  va_start(args, number);
  long a1 = va_arg(args, long);
  long a2 = va_arg(args, long);
  long a3 = va_arg(args, long);
  long a4 = va_arg(args, long);
  long a5 = va_arg(args, long);
  long a6 = va_arg(args, long);
  va_end(args);
  if (IsTimerSyscall(number) && ShimActive()) {
    long result = -1;
    ForwardTimerSyscall(number, a1, a2, a3, a4, a5, result);
    return result;
  }
  timespec storage;  // a replaced timeout; lives until the system call returns
  if (IsTimedFutexWait(number, a2, a4) && ShimActive()) {
    a4 = reinterpret_cast<long>(
        AdjustFutexTimeout(a2, a6, reinterpret_cast<const timespec*>(a4), storage));
  }
  return SyscallResult(RawSyscall(number, a1, a2, a3, a4, a5, a6));
}
