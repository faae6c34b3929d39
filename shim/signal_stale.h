// Pending-signal surgery for the stale aspect of the signal-based timers
// (posix_timer.cc: timer_settime/timer_delete; itimer.cc: setitimer, alarm,
// ualarm): take a timer's pending signal out of the queue before a re-arm,
// then drop it (new) or queue it again (old).
//
// Only raw syscalls: alarm is commonly called from signal handlers, so all of
// this must be async-signal-safe (no locks, no allocation). syscall() itself
// is the shim's own interceptor (futex.cc), which hands every non-futex
// number straight to the kernel.
//
// Why "blocked in this thread" gates every collection: a pending signal that
// the calling thread does not block cannot stay pending while this thread
// runs; the kernel delivers it on this thread's next return to user space
// (the syscall we would use to look at it included). A signal blocked here
// but pending process-wide may be taken by another thread that unblocks it;
// whoever dequeues it first wins, and either outcome is one the program
// could see natively.
#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace timerbisect::shim {

// The kernel's sigset_t is 64 bits on Linux; glibc's is larger but starts
// with the same bits.
inline constexpr long kKernelSigsetBytes = 8;

// How long a wait for a short timer's expiry (latency aspect, new mode)
// keeps watching for the signal after the timer reads expired.
inline constexpr std::int64_t kSignalGraceNs = 2'000'000;

inline pid_t ThisThreadId() {
  return static_cast<pid_t>(syscall(SYS_gettid));
}

inline sigset_t OneSignal(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  return set;
}

inline bool BlockedInThisThread(int sig) {
  sigset_t mask;
  sigemptyset(&mask);
  if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &mask, kKernelSigsetBytes) != 0) return false;
  return sigismember(&mask, sig) == 1;
}

// Pending for this thread or for the whole process (sigpending(2) reports
// the union).
inline bool PendingHere(int sig) {
  sigset_t pending;
  sigemptyset(&pending);
  if (syscall(SYS_rt_sigpending, &pending, kKernelSigsetBytes) != 0) return false;
  return sigismember(&pending, sig) == 1;
}

// Dequeues one pending instance of `sig` without waiting; false if none.
// Thread-private instances come out before process-wide ones.
inline bool TakeOnePending(int sig, siginfo_t& info) {
  sigset_t set = OneSignal(sig);
  timespec zero = {0, 0};
  std::memset(&info, 0, sizeof info);
  return syscall(SYS_rt_sigtimedwait, &set, &info, &zero, kKernelSigsetBytes) == sig;
}

// Queues `info` again, to thread `tid` of this process, or to the process
// when tid is 0. The kernel lets a process queue any si_code to itself
// (kernel/signal.c do_rt_sigqueueinfo refuses si_code >= 0 and SI_TKILL only
// toward other processes), so SI_TIMER, SI_KERNEL and SI_USER infos keep
// their code, value and sender fields.
inline bool Requeue(const siginfo_t& info, pid_t tid) {
  siginfo_t copy = info;
  if (tid != 0) {
    return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, info.si_signo, &copy) == 0;
  }
  return syscall(SYS_rt_sigqueueinfo, getpid(), info.si_signo, &copy) == 0;
}

// Queues a foreign instance (not the timer's) back where it most likely
// came from: tgkill's SI_TKILL is thread-directed by nature, anything else
// goes to the process.
inline void RequeueForeign(const siginfo_t& info) {
  Requeue(info, info.si_code == SI_TKILL ? ThisThreadId() : 0);
}

// posix_timer.cc: a fork child has no POSIX timers (they are not inherited,
// timer_create(2)), so its table starts empty. Called from ForkChild.
void ForgetPosixTimersAfterFork();

}  // namespace timerbisect::shim
