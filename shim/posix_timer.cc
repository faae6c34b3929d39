// POSIX timers (timer_create, timer_settime, timer_getoverrun, timer_delete):
// stale signals and short-timer latency.
//
// A timer's mode is fixed where it is created (the site of timer_create), as
// in Go where the stack of NewTimer decides; timer_settime and timer_delete
// look it up in a lock-free table keyed by timer_t.
//
// stale (timer_settime re-arm or disarm, timer_delete):
//   old: a signal for the old setting still arrives. Linux 6.13+ drops a
//   queued signal of a re-armed or deleted timer (the signal carries the
//   timer's sequence number and is discarded at dequeue when it no longer
//   matches; kernel commit "posix-timers: Drop signal if timer has been
//   deleted or reprogrammed"), so the shim takes the timer's pending SI_TIMER
//   signal out with sigtimedwait before the call and queues it again after
//   with rt_sigqueueinfo / rt_tgsigqueueinfo, keeping si_code SI_TIMER,
//   si_timerid, si_overrun and si_value (a process may queue any si_code to
//   itself). On older kernels the re-queued copy is exactly what the kernel
//   would have delivered anyway. An expiration due within the lag window
//   counts as already fired: the shim queues one signal for it (or adds one
//   to si_overrun when a signal is pending already, as the kernel would).
//   One rule throughout: an expiration counted as fired is reported as
//   fired, so timer_settime's old_value says so too (it_value 0 for a
//   one-shot timer; the time to the expiry after it for a periodic one),
//   exactly as old Go's Stop returned false once the send had happened. A
//   call that says "pending" is never followed by a signal of the old
//   setting.
//   timer_getoverrun agrees with the re-delivered signal: the kernel resets
//   the timer's overrun count on a re-arm, so until the new setting's first
//   expiry time the shim answers with the si_overrun it re-delivered.
//   new: a queued signal of the old setting is never delivered. Linux 6.13+
//   does this itself; on older kernels the shim's collection drops it. The
//   shim always collects, so both modes are the same on every kernel. As Go
//   1.23's Stop and Reset, a call that drops a signal the program has not
//   taken reports the timer as pending (old_value it_value 1 ns where the
//   kernel says 0): "not pending" means the program has had the signal.
//   Deliberate differences:
//   - Collection needs the signal blocked in the calling thread
//     (signal_stale.h says why an unblocked one cannot stay pending), and
//     for SIGEV_THREAD_ID the target thread to be the caller: a signal
//     queued to another thread cannot be dequeued from here, so it behaves
//     natively.
//   - SIGEV_THREAD timers notify through glibc's helper thread, which waits
//     for the signal itself; their stale aspect is native.
//   - Dequeuing lets a 6.13+ kernel re-arm a periodic timer's interval at
//     that moment; the re-queued copy is then a plain queued signal, so the
//     next overrun count starts from the collection time.
//   - Other instances of the same signal dequeued on the way to the timer's
//     are queued again at once, after whatever was still queued behind them.
//   - New mode reports "pending" only for a signal it collected: one the
//     timer queues between the collection and the call (microseconds) is
//     dropped by a 6.13+ kernel while old_value says 0.
//   - timer_getoverrun answers with the re-delivered si_overrun until the
//     new setting's first expiry time, whether or not the program has taken
//     the re-delivered signal; afterwards, the kernel's count.
// latency (relative expiry, or absolute deadline, within TIMERSEM_SHORT):
//   old: armed for max(request, TIMERSEM_LAG) from now, never earlier than
//   asked; an absolute arming stays absolute (now + lag on the timer's
//   clock);
//   new: already expired when timer_settime returns: the shim waits until a
//   one-shot timer has fired (timer_gettime reads zero) or a periodic one's
//   signal is pending, bounded by the request plus a margin.
//
// glibc exports each function three times. @@GLIBC_2.34 and @GLIBC_2.3.3 are
// one implementation (2.34 moved it from librt into libc with a new version
// node) and get the full semantics, each forwarding to its own version.
// @GLIBC_2.2.5 is the pre-2003 ABI whose timer_t is an int index into
// glibc's compatibility table: only binaries linked against glibc older
// than 2.3.3 reach it, their IDs do not match the kernel's, so those
// interceptors only forward, to exactly GLIBC_2.2.5 (binding old callers to
// the new implementation would corrupt their int-sized timer IDs).
#include <signal.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "interceptor.h"
#include "posix_timer_table.h"
#include "signal_stale.h"
#include "timespec.h"
#include "user_pointer.h"
#include "watch.h"
#include "watched_setting.h"

namespace timerbisect::shim {

TB_REAL_VERSIONED(timer_create, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(timer_create, v2_3_3, "GLIBC_2.3.3")
TB_REAL_VERSIONED(timer_settime, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(timer_settime, v2_3_3, "GLIBC_2.3.3")
TB_REAL_VERSIONED(timer_delete, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(timer_delete, v2_3_3, "GLIBC_2.3.3")
TB_REAL_VERSIONED(timer_getoverrun, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(timer_getoverrun, v2_3_3, "GLIBC_2.3.3")

// The old ABI's own types: an int timer ID, not <time.h>'s timer_t.
using OldTimerCreateFn = int (*)(clockid_t, sigevent*, int*);
using OldTimerSettimeFn = int (*)(int, int, const itimerspec*, itimerspec*);
using OldTimerDeleteFn = int (*)(int);
using OldTimerGetoverrunFn = int (*)(int);
TB_REAL_VERSIONED_AS(OldTimerCreateFn, timer_create, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED_AS(OldTimerSettimeFn, timer_settime, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED_AS(OldTimerDeleteFn, timer_delete, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED_AS(OldTimerGetoverrunFn, timer_getoverrun, v2_2_5, "GLIBC_2.2.5")

namespace {

PosixTimer Describe(const sigevent* sevp, Mode mode, clockid_t clock, timer_t timer) {
  PosixTimer t;
  t.tracked = true;
  t.mode = mode;
  t.clock = clock;
  if (sevp == nullptr) {
    // timer_create(2): a null sevp means SIGEV_SIGNAL, SIGALRM, and the
    // timer ID as sival_int.
    t.notify = SIGEV_SIGNAL;
    t.signo = SIGALRM;
    sigval v;
    std::memset(&v, 0, sizeof v);
    v.sival_int = static_cast<int>(reinterpret_cast<std::intptr_t>(timer));
    std::memcpy(&t.value, &v, sizeof v);
    return t;
  }
  t.notify = sevp->sigev_notify;
  t.signo = sevp->sigev_signo;
  t.tid = sevp->sigev_notify == SIGEV_THREAD_ID ? sevp->_sigev_un._tid : 0;
  static_assert(sizeof(sigval) == sizeof(std::uintptr_t));
  std::memcpy(&t.value, &sevp->sigev_value, sizeof t.value);
  return t;
}

// ---- stale ----

// glibc encodes a signal timer's kernel ID in timer_t as a plain integer
// (sysdeps/unix/sysv/linux/kernel-posix-timers.h, kernel_timer_to_timerid);
// it is the si_timerid of the timer's signals.
int KernelTimerId(timer_t timer) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(timer));
}

bool SendsSignal(const PosixTimer& t) {
  return t.notify == SIGEV_SIGNAL || t.notify == SIGEV_THREAD_ID;
}

// Where the timer's signal is queued: the process, or one thread.
pid_t SignalTarget(const PosixTimer& t) {
  return t.notify == SIGEV_THREAD_ID ? t.tid : 0;
}

// The timer's signal taken out of the queue before a re-arm, disarm or
// delete; settled after the call.
struct HeldSignal {
  bool held = false;
  siginfo_t info;
};

// Takes this timer's pending SI_TIMER signal out of the queue. Other
// instances of the same signal met on the way go back at once.
HeldSignal TakeTimerSignal(timer_t timer, const PosixTimer& t) {
  HeldSignal held;
  if (!SendsSignal(t)) return held;
  if (t.notify == SIGEV_THREAD_ID && t.tid != ThisThreadId()) return held;
  if (!BlockedInThisThread(t.signo) || !PendingHere(t.signo)) return held;
  constexpr int kMaxForeign = 16;
  siginfo_t foreign[kMaxForeign];
  int n_foreign = 0;
  siginfo_t info;
  while (n_foreign < kMaxForeign && TakeOnePending(t.signo, info)) {
    if (info.si_code == SI_TIMER && info.si_timerid == KernelTimerId(timer)) {
      held.held = true;
      held.info = info;
      break;
    }
    foreign[n_foreign++] = info;
  }
  for (int i = 0; i < n_foreign; ++i) RequeueForeign(foreign[i]);
  return held;
}

// True if the timer is armed and would fire within `lag_ns`: the old mode's
// async-send race, made deterministic.
bool DueWithin(timer_t timer, const PosixTimer& t, std::int64_t lag_ns) {
  if (!SendsSignal(t)) return false;
  itimerspec cur;
  if (::timer_gettime(timer, &cur) != 0) return false;
  std::int64_t remaining = ToNs(cur.it_value);
  return remaining > 0 && remaining <= lag_ns;
}

// After the call: old mode re-delivers the held signal (plus one for an
// expiration that was due within the lag); new mode drops it. A failed call
// changed nothing, so whatever was taken goes back.
// Returns true if a signal of the old setting goes to the program.
bool SettleHeld(timer_t timer, const PosixTimer& t, HeldSignal& held, bool due_soon, bool call_ok) {
  bool old_mode = t.mode == Mode::kOld;
  if (old_mode && due_soon && call_ok) {
    if (held.held) {
      ++held.info.si_overrun;  // the kernel counts, not queues, a second expiry
    } else {
      std::memset(&held.info, 0, sizeof held.info);
      held.info.si_signo = t.signo;
      held.info.si_code = SI_TIMER;
      held.info.si_timerid = KernelTimerId(timer);
      std::memcpy(&held.info.si_value, &t.value, sizeof held.info.si_value);
      held.held = true;
    }
  }
  if (held.held && (old_mode || !call_ok)) {
    Requeue(held.info, SignalTarget(t));
    return call_ok;
  }
  return false;
}

// Old mode re-delivered a signal with `overrun` at a re-arm whose first
// expiry is `until` on the timer's clock: timer_getoverrun reports it
// until then.
void RecordRedeliveredOverrun(timer_t timer, int overrun, std::int64_t until) {
  TimerSlot* slot = FindSlot(timer);
  if (slot == nullptr) return;
  slot->overrun_until.store(until, std::memory_order_relaxed);
  slot->overrun.store(overrun, std::memory_order_release);
}

// ---- latency ----

// Waits until the short timer has expired: a one-shot timer reads zero once
// it fired, a periodic one once its first expiry time has passed. When this
// thread blocks the signal, the wait goes on until the signal is pending:
// the kernel marks the timer expired a moment before the signal is queued
// (seen on 6.18), so "expired" alone can return before the signal is
// visible. A short grace bounds that, for a signal another thread takes.
// Bounded in case the clock was changed under us.
void WaitForExpiry(timer_t timer, const PosixTimer& t, bool periodic, std::int64_t remaining_ns,
                   std::int64_t bound_ns) {
  std::int64_t start = MonotonicNs();
  std::int64_t expired_at = -1;
  bool watch_signal = SendsSignal(t) && BlockedInThisThread(t.signo);
  for (;;) {
    std::int64_t now = MonotonicNs();
    if (now - start >= bound_ns) return;
    if (watch_signal && PendingHere(t.signo)) return;
    bool expired;
    if (periodic) {
      expired = now - start >= remaining_ns;
    } else {
      itimerspec cur;
      expired = ::timer_gettime(timer, &cur) != 0 || ToNs(cur.it_value) == 0;
    }
    if (expired) {
      if (!watch_signal) return;
      if (expired_at < 0) expired_at = now;
      if (now - expired_at >= kSignalGraceNs) return;
    }
    sched_yield();
  }
}

// ---- the interceptors' bodies, shared by GLIBC_2.34 and GLIBC_2.3.3 ----

template <typename Real>
int CreateTimer(Real& real, clockid_t clock, sigevent* sevp, timer_t* timerid) {
  if (!ShimActive()) return real(clock, sevp, timerid);
  int result = real(clock, sevp, timerid);
  if (result != 0) return result;
  {
    ShimScope scope;
    SiteDecision site = DecideSite(Api::kTimerCreate);
    if (site.counts || site.watched) {
      PosixTimer t = Describe(sevp, site.mode, clock, *timerid);
      t.watched = site.watched;
      t.site = site.watched ? site.id : 0;
      TrackPosixTimer(*timerid, t);
    }
  }
  return result;
}

template <typename Real>
int SetTimer(Real& real, timer_t timer, int flags, const itimerspec* new_value,
             itimerspec* old_value) {
  if (!ShimActive()) return real(timer, flags, new_value, old_value);
  PosixTimer t = LookupPosixTimer(timer);
  if (!t.tracked || !MayBeUserMemory(new_value) || !ValidItimerspec(*new_value)) {
    if (t.watched && MayBeUserMemory(new_value)) {
      return WatchedSetting(
          t.site, t.clock, (flags & TIMER_ABSTIME) != 0, new_value, old_value,
          [&](itimerspec* previous) { return real(timer, flags, new_value, previous); });
    }
    return real(timer, flags, new_value, old_value);
  }
  const Config& cfg = GetConfig();
  itimerspec request = *new_value;
  HeldSignal held;
  bool due_soon = false;
  bool wait_for_expiry = false;
  std::int64_t remaining = 0;
  std::int64_t first_expiry = INT64_MAX;  // on the timer's clock; a disarm never expires
  {
    ShimScope scope;
    if (cfg.aspects & kAspectStale) {
      due_soon = t.mode == Mode::kOld && DueWithin(timer, t, cfg.lag_ns);
      held = TakeTimerSignal(timer, t);
      // The kernel resets the overrun count; a signal re-delivered below
      // records its own.
      if (t.mode == Mode::kOld) RecordRedeliveredOverrun(timer, -1, 0);
    }
    bool arming = request.it_value.tv_sec != 0 || request.it_value.tv_nsec != 0;
    if ((cfg.aspects & kAspectLatency) && arming) {
      remaining = RequestedRemainingNs(request, (flags & TIMER_ABSTIME) != 0, t.clock);
      if (IsShort(remaining, cfg.short_ns)) {
        if (t.mode == Mode::kNew) {
          wait_for_expiry = true;
        } else {
          ArmNoEarlierThanLag(request, flags, TIMER_ABSTIME, t.clock, remaining, cfg.lag_ns);
        }
      }
    }
    // (beyond 2096 or 126 years away: never, and no overflow)
    if (arming && t.mode == Mode::kOld && request.it_value.tv_sec < 4'000'000'000) {
      first_expiry = (flags & TIMER_ABSTIME) ? ToNs(request.it_value)
                                             : ClockNowNs(t.clock) + ToNs(request.it_value);
    }
  }
  int result = real(timer, flags, &request, old_value);
  {
    ShimScope scope;
    bool dropped = held.held && t.mode == Mode::kNew && result == 0;
    if (SettleHeld(timer, t, held, due_soon, result == 0)) {
      RecordRedeliveredOverrun(timer, held.info.si_overrun, first_expiry);
    }
    if (result == 0 && old_value != nullptr) {
      if (due_soon) ReportFired(*old_value, cfg.lag_ns);
      if (dropped && ToNs(old_value->it_value) == 0) {
        old_value->it_value = timespec{0, 1};  // dropped untaken: still pending
      }
    }
  }
  // Outside the reentrancy guard: the signal handler (or SIGEV_THREAD
  // function) the expiry runs is the program's code, whose timer calls are
  // sites like any other (audit 26). The wait calls nothing the shim
  // changes; errno is kept.
  if (result == 0 && wait_for_expiry) {
    int saved_errno = errno;
    bool periodic = request.it_interval.tv_sec != 0 || request.it_interval.tv_nsec != 0;
    WaitForExpiry(timer, t, periodic, remaining, cfg.short_ns + 10'000'000);
    errno = saved_errno;
  }
  return result;
}

// Old mode: the overrun count of the signal the shim re-delivered, while no
// expiry of the new setting can have been signalled (see the file comment).
template <typename Real>
int GetOverrun(Real& real, timer_t timer) {
  if (!ShimActive()) return real(timer);
  int result = real(timer);
  if (result < 0) return result;
  TimerSlot* slot = FindSlot(timer);
  if (slot == nullptr) return result;
  int overrun = slot->overrun.load(std::memory_order_acquire);
  if (overrun < 0) return result;
  int saved_errno = errno;
  auto clock = static_cast<clockid_t>(slot->clock.load(std::memory_order_relaxed));
  bool before_first_expiry =
      ClockNowNs(clock) < slot->overrun_until.load(std::memory_order_relaxed);
  errno = saved_errno;
  return before_first_expiry ? overrun : result;
}

template <typename Real>
int DeleteTimer(Real& real, timer_t timer) {
  if (!ShimActive()) return real(timer);
  PosixTimer t = LookupPosixTimer(timer);
  if (!t.tracked) {
    if (t.watched) ForgetPosixTimer(timer);  // before the call: see below
    return real(timer);
  }
  const Config& cfg = GetConfig();
  HeldSignal held;
  bool due_soon = false;
  {
    ShimScope scope;
    if (cfg.aspects & kAspectStale) {
      due_soon = t.mode == Mode::kOld && DueWithin(timer, t, cfg.lag_ns);
      held = TakeTimerSignal(timer, t);
    }
    // Before the real call: once the kernel frees the ID, a concurrent
    // timer_create may get it, and its entry must not be forgotten.
    ForgetPosixTimer(timer);
  }
  int result = real(timer);
  {
    ShimScope scope;
    SettleHeld(timer, t, held, due_soon, result == 0);
  }
  return result;
}

}  // namespace

}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int tb_timer_create_v2_34(clockid_t clock, sigevent* sevp, timer_t* timerid) {
  return CreateTimer(real_timer_create_v2_34, clock, sevp, timerid);
}
TB_SYMVER(tb_timer_create_v2_34, "timer_create@@GLIBC_2.34");

TB_EXPORT int tb_timer_create_v2_3_3(clockid_t clock, sigevent* sevp, timer_t* timerid) {
  return CreateTimer(real_timer_create_v2_3_3, clock, sevp, timerid);
}
TB_SYMVER(tb_timer_create_v2_3_3, "timer_create@GLIBC_2.3.3");

TB_EXPORT int tb_timer_create_v2_2_5(clockid_t clock, sigevent* sevp, int* timerid) {
  return real_timer_create_v2_2_5(clock, sevp, timerid);
}
TB_SYMVER(tb_timer_create_v2_2_5, "timer_create@GLIBC_2.2.5");

TB_EXPORT int tb_timer_settime_v2_34(timer_t timer, int flags, const itimerspec* new_value,
                                     itimerspec* old_value) {
  return SetTimer(real_timer_settime_v2_34, timer, flags, new_value, old_value);
}
TB_SYMVER(tb_timer_settime_v2_34, "timer_settime@@GLIBC_2.34");

TB_EXPORT int tb_timer_settime_v2_3_3(timer_t timer, int flags, const itimerspec* new_value,
                                      itimerspec* old_value) {
  return SetTimer(real_timer_settime_v2_3_3, timer, flags, new_value, old_value);
}
TB_SYMVER(tb_timer_settime_v2_3_3, "timer_settime@GLIBC_2.3.3");

TB_EXPORT int tb_timer_settime_v2_2_5(int timer, int flags, const itimerspec* new_value,
                                      itimerspec* old_value) {
  return real_timer_settime_v2_2_5(timer, flags, new_value, old_value);
}
TB_SYMVER(tb_timer_settime_v2_2_5, "timer_settime@GLIBC_2.2.5");

TB_EXPORT int tb_timer_getoverrun_v2_34(timer_t timer) {
  return GetOverrun(real_timer_getoverrun_v2_34, timer);
}
TB_SYMVER(tb_timer_getoverrun_v2_34, "timer_getoverrun@@GLIBC_2.34");

TB_EXPORT int tb_timer_getoverrun_v2_3_3(timer_t timer) {
  return GetOverrun(real_timer_getoverrun_v2_3_3, timer);
}
TB_SYMVER(tb_timer_getoverrun_v2_3_3, "timer_getoverrun@GLIBC_2.3.3");

TB_EXPORT int tb_timer_getoverrun_v2_2_5(int timer) {
  return real_timer_getoverrun_v2_2_5(timer);
}
TB_SYMVER(tb_timer_getoverrun_v2_2_5, "timer_getoverrun@GLIBC_2.2.5");

TB_EXPORT int tb_timer_delete_v2_34(timer_t timer) {
  return DeleteTimer(real_timer_delete_v2_34, timer);
}
TB_SYMVER(tb_timer_delete_v2_34, "timer_delete@@GLIBC_2.34");

TB_EXPORT int tb_timer_delete_v2_3_3(timer_t timer) {
  return DeleteTimer(real_timer_delete_v2_3_3, timer);
}
TB_SYMVER(tb_timer_delete_v2_3_3, "timer_delete@GLIBC_2.3.3");

TB_EXPORT int tb_timer_delete_v2_2_5(int timer) {
  return real_timer_delete_v2_2_5(timer);
}
TB_SYMVER(tb_timer_delete_v2_2_5, "timer_delete@GLIBC_2.2.5");
