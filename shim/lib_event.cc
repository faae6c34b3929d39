// libevent timers: event_add with a timeout (evtimer_add is a macro over
// it), event_del (evtimer_del), and event_base_loop (the loop scope of
// lib_loop.h; event_base_dispatch calls it).
//
// Each event_add call with a timeout is a site, keyed by its stack; the
// event keeps the mode of its last arming.
//
// latency (a timeout of at most TIMERSEM_SHORT; a zero timeout, "next
// iteration", is no timer for this aspect; libevent's common timeouts,
// whose timeval carries a magic tag, are left alone):
//   old: the timeout becomes max(timeout, TIMERSEM_LAG);
//   new: the timeout becomes zero (the event is activated at once).
//   A persistent event (EV_PERSIST) keeps its timeout as its repeat
//   interval: under new it is added as asked and its callback runs at once
//   from a one-shot event of the shim's own (as a stale run does, below),
//   so it fires at once and then every interval; under old the interval
//   itself becomes max(interval, TIMERSEM_LAG), every repeat late.
// stale (event_add re-arming a timer that was already due: its timeout
// passed, or libevent had already activated it but not yet run it):
//   old: its callback still runs once, from a one-shot event of the shim's
//        own (event_base_once) on the same base, and the event is re-armed
//        as asked;
//   new: it never runs (libevent's own behaviour: rescheduling an event
//        activated by its timeout takes the activation back; the shim
//        deletes it first, for an expired event not yet activated too).
//   event_del of a due timer: it never runs, in every mode; stale runs
//   still pending for the event are dropped. event_del is also how a
//   program destroys an event embedded in its own memory before freeing
//   that memory (event_free calls it too): a stale run after it could only
//   touch freed memory.
//
// libevent calls its own exported event_add and event_del through the PLT
// (event_base_once, bufferevents, event_free): those calls come from
// libevent's module and are no sites. A callback that ends in a tail call
// of event_add returns into libevent too, just after its call of the
// callback pointer: that arming is the program's (WhoCalled in
// lib_loop.h), keyed by libevent's frames plus the event's callback.
//
// The shim does not link libevent: event2/event.h is used for types only
// and every function is resolved at run time.
#include <event2/event.h>
#include <sys/time.h>

#include <atomic>
#include <climits>
#include <cstdlib>

#include "guard.h"
#include "interceptor.h"
#include "lib_loop.h"
#include "timespec.h"

namespace timerbisect::shim {

TB_REAL(event_add)
TB_REAL(event_del)
TB_REAL(event_base_loop)
TB_REAL(event_pending)
TB_REAL(event_base_once)
TB_REAL(event_get_base)
TB_REAL(event_get_fd)
TB_REAL(event_get_callback)
TB_REAL(event_get_callback_arg)
TB_REAL(event_get_events)

namespace {

constexpr const char* kSonames[] = {"libevent-2.1.so.7", "libevent_core-2.1.so.7"};
#define EV_REAL(name) LibReal<real_##name>(#name, kSonames)

bool HaveEventFunctions() {
  return EV_REAL(event_pending) != nullptr && EV_REAL(event_base_once) != nullptr &&
         EV_REAL(event_get_base) != nullptr && EV_REAL(event_get_fd) != nullptr &&
         EV_REAL(event_get_callback) != nullptr && EV_REAL(event_get_callback_arg) != nullptr &&
         EV_REAL(event_del) != nullptr && EV_REAL(event_get_events) != nullptr;
}

constexpr std::int64_t kUsPerSec = 1'000'000;

std::int64_t NowUs() {
  return ClockNowNs(CLOCK_REALTIME) / 1000;
}

// A relative timeout in ns, or -1 when the latency aspect leaves it alone
// (invalid, or one of libevent's common timeouts: tv_usec holds a tag).
std::int64_t TimeoutNs(const timeval* tv) {
  if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= kUsPerSec) return -1;
  if (tv->tv_sec >= 1'000'000'000) return INT64_MAX;
  return (tv->tv_sec * kUsPerSec + tv->tv_usec) * 1000;
}

// Due: its timeout passed, or libevent activated it by its timeout and has
// not run it yet.
bool Due(const event* ev) {
  timeval expiry = {-1, 0};  // written only while a timeout is inserted
  int flags = EV_REAL(event_pending)(ev, EV_TIMEOUT, &expiry);
  if ((flags & EV_TIMEOUT) == 0) return false;
  if (expiry.tv_sec == -1) return true;  // active by its timeout
  return expiry.tv_sec * kUsPerSec + expiry.tv_usec <= NowUs();
}

// A run of the event's callback pending, from the shim's own one-shot
// event: a stale run (old), or a short persistent event's first expiry
// (new, `at_once`). Dropped when the program deletes the event first, and
// a first expiry also when it adds the event again (libevent takes back an
// activation by timeout when the event is rescheduled).
struct StaleRun {
  const event* ev;  // null once dropped
  event_callback_fn cb;
  evutil_socket_t fd;
  void* arg;
  bool at_once;
  StaleRun* next;
};
StaleRun* g_pending = nullptr;
std::atomic_flag g_pending_lock = ATOMIC_FLAG_INIT;

void FireStaleRun(evutil_socket_t, short, void* p) {
  auto* run = static_cast<StaleRun*>(p);
  bool live;
  {
    SpinGuard lock(g_pending_lock);
    for (StaleRun** q = &g_pending; *q != nullptr; q = &(*q)->next) {
      if (*q == run) {
        *q = run->next;
        break;
      }
    }
    live = run->ev != nullptr;
  }
  if (live) run->cb(run->fd, EV_TIMEOUT, run->arg);
  std::free(run);
}

void ScheduleStaleRun(event* ev, bool at_once = false) {
  event_callback_fn cb = EV_REAL(event_get_callback)(ev);
  if (cb == nullptr) return;
  auto* run = static_cast<StaleRun*>(std::calloc(1, sizeof(StaleRun)));
  if (run == nullptr) return;
  run->ev = ev;
  run->at_once = at_once;
  run->cb = cb;
  run->fd = EV_REAL(event_get_fd)(ev);
  run->arg = EV_REAL(event_get_callback_arg)(ev);
  {
    SpinGuard lock(g_pending_lock);
    run->next = g_pending;
    g_pending = run;
  }
  timeval now = {0, 0};
  if (EV_REAL(event_base_once)(EV_REAL(event_get_base)(ev), -1, EV_TIMEOUT, FireStaleRun, run,
                               &now) != 0) {
    SpinGuard lock(g_pending_lock);
    run->ev = nullptr;  // never scheduled: leaked rather than unlinked
  }
}

// Drops the runs pending for `ev`: every one, or only first expiries.
void DropStaleRuns(const event* ev, bool at_once_only = false) {
  SpinGuard lock(g_pending_lock);
  for (StaleRun* run = g_pending; run != nullptr; run = run->next) {
    if (run->ev == ev && (run->at_once || !at_once_only)) run->ev = nullptr;
  }
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int event_add(event* ev, const timeval* tv) {
  auto real = EV_REAL(event_add);
  if (real == nullptr) return -1;
  if (!ShimActive() || ev == nullptr || tv == nullptr || !HaveEventFunctions()) return real(ev, tv);
  LibraryCaller caller = WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real));
  if (caller == LibraryCaller::kLibrary) return real(ev, tv);
  std::int64_t timeout_ns = TimeoutNs(tv);
  if (timeout_ns < 0) return real(ev, tv);
  LibArm arm;
  timeval adjusted;
  bool activate = false;
  {
    ShimScope scope;
    bool armed = (EV_REAL(event_pending)(ev, EV_TIMEOUT, nullptr) & EV_TIMEOUT) != 0;
    bool due = armed && Due(ev);
    LibTimerRecord before = RecallLibraryTimer(ev);
    const void* lost_caller = caller == LibraryCaller::kCallback
                                  ? reinterpret_cast<void*>(EV_REAL(event_get_callback)(ev))
                                  : nullptr;
    arm = DecideLibraryArm(Api::kEventAdd, kLibEvent, timeout_ns, armed, lost_caller);
    if (due && (before.stale_old || before.stale_new)) {
      // Take back the activation (or the expired timeout) first: new never
      // runs it, old runs it once from the shim's own event.
      EV_REAL(event_del)(ev);
      if (before.stale_old) ScheduleStaleRun(ev);
    }
    DropStaleRuns(ev, true);
    if (arm.timeout_ns == 0 && (EV_REAL(event_get_events)(ev) & EV_PERSIST) != 0) {
      activate = true;  // the timeout stays the interval
    } else if (arm.timeout_ns >= 0) {
      std::int64_t us = (arm.timeout_ns + 999) / 1000;
      adjusted = {static_cast<time_t>(us / kUsPerSec), static_cast<suseconds_t>(us % kUsPerSec)};
      tv = &adjusted;
    }
  }
  int result = real(ev, tv);
  if (result == 0) {
    ShimScope scope;
    RememberLibraryTimer(ev, arm.stale_old, nullptr, arm.stale_new);
    // Not event_active(EV_TIMEOUT): libevent would take the next expiry
    // from the deadline just added, two intervals after the add.
    if (activate) ScheduleStaleRun(ev, true);
  }
  return result;
}

TB_EXPORT int event_del(event* ev) {
  auto real = EV_REAL(event_del);
  if (real == nullptr) return -1;
  // Also for libevent's own calls (event_free): the event may be freed.
  if (ShimActive() && ev != nullptr) DropStaleRuns(ev);
  return real(ev);
}

TB_EXPORT int event_base_loop(event_base* base, int flags) {
  auto real = EV_REAL(event_base_loop);
  if (real == nullptr) return -1;
  if (!ShimActive()) return real(base, flags);
  LibraryLoopScope scope(kLibEvent, reinterpret_cast<const void*>(real));
  return real(base, flags);
}
