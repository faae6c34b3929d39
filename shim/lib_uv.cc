// libuv timers: uv_timer_start, uv_timer_again, uv_timer_stop, plus uv_run
// (the loop scope of lib_loop.h) and uv_close (destroying a timer).
//
// Each uv_timer_start or uv_timer_again call is a site, keyed by its stack;
// the timer keeps the mode of its last arming.
//
// latency (an arming whose first expiry is at most TIMERSEM_SHORT away;
// libuv's timeouts are milliseconds, so only TIMERSEM_SHORT >= 1ms reaches
// them; a timeout of 0, "next loop iteration", is no timer and stays native):
//   old: the timeout becomes max(timeout, TIMERSEM_LAG), rounded up to ms;
//   new: the timeout becomes 0 (the timer runs in the next iteration).
//   The repeat interval is not changed in either mode.
// stale (uv_timer_stop, or a re-arm by uv_timer_start/uv_timer_again, of a
// timer that was already due: its deadline passed, the loop had not run it):
//   old: the callback still runs once, from a 0 ms one-shot timer of the
//        shim's own in the same loop (in the same timer pass when the
//        stop came from a timer callback, as libuv runs a timer started
//        there; else in the next iteration), which uv_walk does not show
//        the program; the program's handle is stopped or re-armed exactly
//        as asked;
//   new: it never runs (libuv's own behaviour).
//   uv_close of a timer drops a stale run still pending for it, in both
//   modes: libuv promises that a closing handle's callbacks never run, and
//   the program may free the handle in its close callback.
//
// libuv calls its own exported uv_timer_stop/uv_timer_again through the PLT
// (the loop re-arms repeating timers that way, uv_close stops the timer):
// those calls come from libuv's module and go straight through. A callback
// that ends in a tail call of uv_timer_start/again/stop returns into libuv
// too, just after libuv's call of the callback pointer: that call is the
// program's (WhoCalled in lib_loop.h), and an arming made so is keyed by
// libuv's frames plus the timer's callback, the caller's frame being gone.
//
// The shim does not link libuv: every libuv function it calls is resolved at
// run time, and uv.h is used for types only.
#include <uv.h>

#include <atomic>
#include <climits>
#include <cstdlib>

#include "guard.h"
#include "interceptor.h"
#include "lib_loop.h"

namespace timerbisect::shim {

TB_REAL(uv_timer_start)
TB_REAL(uv_timer_stop)
TB_REAL(uv_timer_again)
TB_REAL(uv_run)
TB_REAL(uv_close)
TB_REAL(uv_timer_init)
TB_REAL(uv_is_active)
TB_REAL(uv_is_closing)
TB_REAL(uv_version)

namespace {

constexpr const char* kSonames[] = {"libuv.so.1"};
#define UV_REAL(name) LibReal<real_##name>(#name, kSonames)

bool IsActive(const uv_timer_t* handle) {
  auto fn = UV_REAL(uv_is_active);
  return fn != nullptr && fn(reinterpret_cast<const uv_handle_t*>(handle)) != 0;
}

// Armed, and its deadline (loop milliseconds, CLOCK_MONOTONIC like libuv's
// loop time) already passed.
bool Due(const uv_timer_t* handle) {
  if (!IsActive(handle)) return false;
  return handle->timeout <= static_cast<std::uint64_t>(MonotonicNs() / 1'000'000);
}

std::uint64_t MsFromNs(std::int64_t ns) {
  return static_cast<std::uint64_t>((ns + 999'999) / 1'000'000);
}

std::int64_t NsFromMs(std::uint64_t ms) {
  return ms >= static_cast<std::uint64_t>(INT64_MAX / 1'000'000)
             ? INT64_MAX
             : static_cast<std::int64_t>(ms) * 1'000'000;
}

// A stale run pending: the shim's one-shot timer that calls `cb(user)`.
struct StaleRun {
  uv_timer_t timer;  // first: the callback gets &timer
  uv_timer_t* user;  // null once the program closed its handle
  uv_timer_cb cb;
  StaleRun* next;
};
StaleRun* g_pending = nullptr;
std::atomic_flag g_pending_lock = ATOMIC_FLAG_INIT;

void FreeStaleRun(uv_handle_t* handle) {
  std::free(reinterpret_cast<StaleRun*>(handle));
}

void FireStaleRun(uv_timer_t* timer) {
  auto* run = reinterpret_cast<StaleRun*>(timer);
  uv_timer_t* user;
  {
    SpinGuard lock(g_pending_lock);
    for (StaleRun** p = &g_pending; *p != nullptr; p = &(*p)->next) {
      if (*p == run) {
        *p = run->next;
        break;
      }
    }
    user = run->user;
  }
  auto is_closing = UV_REAL(uv_is_closing);
  if (user != nullptr &&
      (is_closing == nullptr || is_closing(reinterpret_cast<uv_handle_t*>(user)) == 0)) {
    run->cb(user);
  }
  if (auto close = UV_REAL(uv_close)) close(reinterpret_cast<uv_handle_t*>(timer), FreeStaleRun);
}

// libuv's mark of its own handles (UV_HANDLE_INTERNAL, src/uv-common.h:
// 0x10 since 1.22, 0x80 on Unix before): uv_walk skips them, and
// uv_loop_close does not wait for them. The shim's stale-run timer carries
// it, so a program that walks its loop to close (and free) every handle
// never meets one it did not make.
unsigned InternalHandleFlag() {
  auto version = UV_REAL(uv_version);
  if (version == nullptr) return 0;
  return version() >= 0x011600 ? 0x10 : 0x80;
}

// Old stale semantics: `cb(handle)` runs once more in a later iteration.
void ScheduleStaleRun(uv_timer_t* handle, uv_timer_cb cb) {
  auto init = UV_REAL(uv_timer_init);
  auto start = UV_REAL(uv_timer_start);
  if (cb == nullptr || init == nullptr || start == nullptr) return;
  ShimScope scope;
  auto* run = static_cast<StaleRun*>(std::calloc(1, sizeof(StaleRun)));
  if (run != nullptr && init(handle->loop, &run->timer) == 0) {
    run->timer.flags |= InternalHandleFlag();
    run->user = handle;
    run->cb = cb;
    {
      SpinGuard lock(g_pending_lock);
      run->next = g_pending;
      g_pending = run;
    }
    start(&run->timer, FireStaleRun, 0, 0);
  } else {
    std::free(run);
  }
}

void DropStaleRuns(const uv_timer_t* handle) {
  SpinGuard lock(g_pending_lock);
  for (StaleRun* run = g_pending; run != nullptr; run = run->next) {
    if (run->user == handle) run->user = nullptr;
  }
}

// The arming common to uv_timer_start and uv_timer_again: decides the site,
// leaves a stale run behind for a due timer of an old site, and arms.
// `caller`: kProgram or kCallback.
int Arm(Api api, LibraryCaller caller, uv_timer_t* handle, uv_timer_cb cb, std::uint64_t timeout,
        std::uint64_t repeat) {
  auto start = UV_REAL(uv_timer_start);
  if (start == nullptr) return UV_ENOSYS;
  bool active = IsActive(handle);
  bool due = active && Due(handle);
  uv_timer_cb old_cb = handle->timer_cb;
  LibTimerRecord before = RecallLibraryTimer(handle);
  LibArm arm =
      DecideLibraryArm(api, kLibUv, NsFromMs(timeout), active,
                       caller == LibraryCaller::kCallback ? reinterpret_cast<void*>(cb) : nullptr);
  if (arm.timeout_ns >= 0) timeout = MsFromNs(arm.timeout_ns);
  int result = start(handle, cb, timeout, repeat);
  if (result == 0) {
    RememberLibraryTimer(handle, arm.stale_old);
    if (due && before.stale_old) ScheduleStaleRun(handle, old_cb);
  }
  return result;
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int uv_timer_start(uv_timer_t* handle, uv_timer_cb cb, std::uint64_t timeout,
                             std::uint64_t repeat) {
  auto real = UV_REAL(uv_timer_start);
  if (real == nullptr) return UV_ENOSYS;
  if (!ShimActive() || handle == nullptr || cb == nullptr) return real(handle, cb, timeout, repeat);
  LibraryCaller caller = WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real));
  if (caller == LibraryCaller::kLibrary) return real(handle, cb, timeout, repeat);
  return Arm(Api::kUvTimerStart, caller, handle, cb, timeout, repeat);
}

TB_EXPORT int uv_timer_again(uv_timer_t* handle) {
  auto real = UV_REAL(uv_timer_again);
  if (real == nullptr) return UV_ENOSYS;
  if (!ShimActive() || handle == nullptr || handle->timer_cb == nullptr || handle->repeat == 0) {
    return real(handle);
  }
  LibraryCaller caller = WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real));
  if (caller == LibraryCaller::kLibrary) return real(handle);
  // libuv's uv_timer_again is uv_timer_stop then uv_timer_start(repeat,
  // repeat); the re-arm is a site of its own.
  return Arm(Api::kUvTimerAgain, caller, handle, handle->timer_cb, handle->repeat, handle->repeat);
}

TB_EXPORT int uv_timer_stop(uv_timer_t* handle) {
  auto real = UV_REAL(uv_timer_stop);
  if (real == nullptr) return UV_ENOSYS;
  if (!ShimActive() || handle == nullptr ||
      WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real)) ==
          LibraryCaller::kLibrary) {
    return real(handle);
  }
  bool due = Due(handle);
  uv_timer_cb cb = handle->timer_cb;
  LibTimerRecord before = RecallLibraryTimer(handle);
  int result = real(handle);
  if (due && before.stale_old) ScheduleStaleRun(handle, cb);
  return result;
}

TB_EXPORT int uv_run(uv_loop_t* loop, uv_run_mode mode) {
  auto real = UV_REAL(uv_run);
  if (real == nullptr) return 0;
  if (!ShimActive()) return real(loop, mode);
  LibraryLoopScope scope(kLibUv, reinterpret_cast<const void*>(real));
  return real(loop, mode);
}

TB_EXPORT void uv_close(uv_handle_t* handle, uv_close_cb close_cb) {
  auto real = UV_REAL(uv_close);
  if (real == nullptr) return;
  if (ShimActive() && handle != nullptr && handle->type == UV_TIMER) {
    DropStaleRuns(reinterpret_cast<uv_timer_t*>(handle));
    ForgetLibraryTimer(handle);
  }
  real(handle, close_cb);
}
