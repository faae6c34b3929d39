// Interval timers (setitimer ITIMER_REAL, alarm, ualarm): the pending
// SIGALRM of an old setting, and short-timer latency. No timer object: the
// site is the call itself. ITIMER_VIRTUAL and ITIMER_PROF pass through.
//
// stale (re-arm or disarm):
//   old: a pending SIGALRM still arrives. That is the kernel's own
//   behaviour (measured on 6.18: the SIGALRM stays pending after a disarm
//   or re-arm), so nothing to do.
//   new: a pending SIGALRM of the old setting is discarded: the shim takes
//   it with sigtimedwait (zero timeout) before the call. The timer's SIGALRM
//   carries si_code SI_KERNEL (kernel/time/itimer.c it_real_fn sends
//   SEND_SIG_PRIV); one sent by kill(2) or sigqueue(3) is not the timer's
//   and goes back. Collection needs SIGALRM blocked in the calling thread;
//   an unblocked one is delivered on this thread's next return to user
//   space, so it cannot be pending for long (see signal_stale.h). As Go
//   1.23's Stop and Reset, a setitimer that discards a SIGALRM the program
//   has not taken reports the timer as pending (old_value it_value 1 us
//   where the kernel says 0). alarm and ualarm keep the kernel's return
//   value (their callers read it as time left, not as "pending").
// latency (relative expiry within TIMERSEM_SHORT; alarm counts in seconds,
// so it is short only when TIMERSEM_SHORT is a second or more):
//   old: armed for max(request, TIMERSEM_LAG) from now, never earlier than
//   asked: a request at or beyond the lag is the real call (alarm(1) with
//   TIMERSEM_SHORT=2s is the real alarm(1));
//   new: already expired when the call returns: the shim waits until a
//   one-shot setting has fired (getitimer reads zero) or, for a periodic
//   one, SIGALRM is pending (when this thread blocks it) or the first
//   expiry time has passed; bounded by the request plus a margin.
//
// alarm is commonly called from signal handlers: everything here is raw
// syscalls and fixed-size locals. Return values stay truthful: alarm and
// ualarm return the previous setting's remaining time as the real calls
// compute it, also when the shim arms through setitimer instead.
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "interceptor.h"
#include "signal_stale.h"
#include "timespec.h"
#include "user_pointer.h"
#include "watch.h"

namespace timerbisect::shim {

TB_REAL(setitimer)
TB_REAL(getitimer)
TB_REAL(alarm)
TB_REAL(ualarm)

namespace {

constexpr std::int64_t kNsPerUs = 1000;

std::int64_t ToNs(const timeval& tv) {
  return SaturatedNs(tv.tv_sec, tv.tv_usec * kNsPerUs);
}

// Rounded up: a timer is never armed earlier than asked.
timeval TimevalFromNs(std::int64_t ns) {
  std::int64_t us = (ns + kNsPerUs - 1) / kNsPerUs;
  if (us < 1) us = 1;
  return {static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

// The SIGALRM of the old setting, taken out before the call; a failed call
// changed nothing, so it goes back.
struct HeldAlarm {
  bool held = false;
  siginfo_t info;
};

HeldAlarm TakeStaleAlarm() {
  HeldAlarm held;
  if (!BlockedInThisThread(SIGALRM) || !PendingHere(SIGALRM)) return held;
  siginfo_t info;
  if (!TakeOnePending(SIGALRM, info)) return held;
  if (info.si_code != SI_KERNEL) {
    RequeueForeign(info);  // kill(2) or sigqueue(3): not the timer's
    return held;
  }
  held.held = true;
  held.info = info;
  return held;
}

void SettleStaleAlarm(const HeldAlarm& held, bool call_ok) {
  // Process-directed, as the kernel sends the itimer's SIGALRM.
  if (held.held && !call_ok) Requeue(held.info, 0);
}

// Waits until a short ITIMER_REAL setting has expired (see the file
// comment). When this thread blocks SIGALRM, the wait goes on until it is
// pending: getitimer reads zero a moment before the signal is queued (seen
// on 6.18). A short grace bounds that, for a SIGALRM another thread takes.
// Bounded in case the clock was changed under us.
void WaitForAlarm(bool periodic, std::int64_t remaining_ns, std::int64_t bound_ns) {
  std::int64_t start = MonotonicNs();
  std::int64_t expired_at = -1;
  bool watch_signal = BlockedInThisThread(SIGALRM);
  for (;;) {
    std::int64_t now = MonotonicNs();
    if (now - start >= bound_ns) return;
    if (watch_signal && PendingHere(SIGALRM)) return;
    bool expired;
    if (periodic) {
      expired = now - start >= remaining_ns;
    } else {
      itimerval cur;
      expired = real_getitimer(ITIMER_REAL, &cur) != 0 || ToNs(cur.it_value) == 0;
    }
    if (expired) {
      if (!watch_signal) return;
      if (expired_at < 0) expired_at = now;
      if (now - expired_at >= kSignalGraceNs) return;
    }
    sched_yield();
  }
}

std::int64_t WaitBound(std::int64_t short_ns) {
  return short_ns + 10'000'000;
}

// WaitForAlarm after the call, outside the reentrancy guard: the SIGALRM
// handler that runs during the wait is the program's code, and its timer
// calls are sites like any other (under the guard they went straight to
// libc, never toggled or reported: audit 26). The wait calls nothing the
// shim changes. Keeps errno.
void WaitForAlarmUnguarded(bool periodic, std::int64_t remaining_ns) {
  int saved_errno = errno;
  WaitForAlarm(periodic, remaining_ns, WaitBound(GetConfig().short_ns));
  errno = saved_errno;
}

// What one call asks of ITIMER_REAL, and what the shim does about it.
struct Plan {
  SiteDecision site;
  HeldAlarm held;
  bool lag = false;   // old: arm for the lag instead (the request is shorter)
  bool wait = false;  // new: wait for the expiry after the call
  std::int64_t remaining_ns = 0;
};

// Watch mode: counts one setting of ITIMER_REAL (getitimer, a plain system
// call, is async-signal-safe like the rest of this file).
void CountItimerSetting(std::uint64_t site, std::int64_t value_ns) {
  itimerval cur;
  bool armed = real_getitimer(ITIMER_REAL, &cur) == 0 && ToNs(cur.it_value) != 0;
  CountWatched(site, SettingEvents(armed, value_ns, value_ns));
}

// Decides the site and prepares both aspects for arming ITIMER_REAL with a
// first expiry `value_ns` from now (0: disarm). Call with the guard held.
Plan PlanRealTimer(Api api, std::int64_t value_ns) {
  Plan plan;
  plan.site = DecideSite(api);
  if (!plan.site.counts) {
    if (plan.site.watched) CountItimerSetting(plan.site.id, value_ns);
    return plan;
  }
  const Config& cfg = GetConfig();
  if ((cfg.aspects & kAspectStale) && plan.site.mode == Mode::kNew) plan.held = TakeStaleAlarm();
  if ((cfg.aspects & kAspectLatency) && value_ns > 0 && IsShort(value_ns, cfg.short_ns)) {
    plan.remaining_ns = value_ns;
    if (plan.site.mode == Mode::kNew) {
      plan.wait = true;
    } else {
      plan.lag = value_ns < cfg.lag_ns;  // max(request, lag)
    }
  }
  return plan;
}

// alarm(2)'s rounding of the previous setting (kernel/time/itimer.c
// alarm_setitimer): up to whole seconds from half a second, and never 0
// while a timer was armed.
unsigned AlarmSeconds(const timeval& old) {
  auto secs = static_cast<unsigned>(old.tv_sec);
  if ((secs == 0 && old.tv_usec != 0) || old.tv_usec >= 500'000) ++secs;
  return secs;
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int setitimer(__itimer_which_t which, const itimerval* new_value, itimerval* old_value) {
  if (!ShimActive() || which != ITIMER_REAL || !MayBeUserMemory(new_value)) {
    return real_setitimer(which, new_value, old_value);
  }
  itimerval request = *new_value;
  Plan plan;
  {
    ShimScope scope;
    plan = PlanRealTimer(Api::kSetitimer, ToNs(request.it_value));
    if (plan.lag) request.it_value = TimevalFromNs(GetConfig().lag_ns);
  }
  int result = real_setitimer(which, &request, old_value);
  {
    ShimScope scope;
    SettleStaleAlarm(plan.held, result == 0);
    if (result == 0 && plan.held.held && old_value != nullptr && ToNs(old_value->it_value) == 0) {
      old_value->it_value = timeval{0, 1};  // discarded untaken: still pending
    }
  }
  if (result == 0 && plan.wait) {
    bool periodic = request.it_interval.tv_sec != 0 || request.it_interval.tv_usec != 0;
    WaitForAlarmUnguarded(periodic, plan.remaining_ns);
  }
  return result;
}

TB_EXPORT unsigned alarm(unsigned seconds) {
  if (!ShimActive()) return real_alarm(seconds);
  Plan plan;
  {
    ShimScope scope;
    plan = PlanRealTimer(Api::kAlarm, static_cast<std::int64_t>(seconds) * kNsPerSec);
  }
  unsigned result;
  if (plan.lag) {
    // alarm cannot arm for less than a second; setitimer can, and its old
    // value gives alarm's return value exactly as the kernel computes it.
    itimerval request = {{0, 0}, TimevalFromNs(GetConfig().lag_ns)};
    itimerval old = {{0, 0}, {0, 0}};
    real_setitimer(ITIMER_REAL, &request, &old);
    result = AlarmSeconds(old.it_value);
  } else {
    result = real_alarm(seconds);
  }
  {
    ShimScope scope;
    SettleStaleAlarm(plan.held, true);  // alarm cannot fail
  }
  if (plan.wait) WaitForAlarmUnguarded(false, plan.remaining_ns);
  return result;
}

TB_EXPORT useconds_t ualarm(useconds_t value, useconds_t interval) {
  if (!ShimActive()) return real_ualarm(value, interval);
  Plan plan;
  {
    ShimScope scope;
    plan = PlanRealTimer(Api::kUalarm, static_cast<std::int64_t>(value) * kNsPerUs);
  }
  useconds_t request = value;
  if (plan.lag) {
    timeval lag = TimevalFromNs(GetConfig().lag_ns);
    request = static_cast<useconds_t>(lag.tv_sec * 1'000'000 + lag.tv_usec);
  }
  useconds_t result = real_ualarm(request, interval);
  bool call_ok = result != static_cast<useconds_t>(-1);
  {
    ShimScope scope;  // the caller sees ualarm's own errno
    SettleStaleAlarm(plan.held, call_ok);
  }
  if (call_ok && plan.wait) WaitForAlarmUnguarded(interval != 0, plan.remaining_ns);
  return result;
}
