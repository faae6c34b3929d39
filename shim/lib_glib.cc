// GLib timeouts: g_timeout_add, g_timeout_add_full, g_timeout_add_once,
// g_timeout_add_seconds, g_timeout_add_seconds_full, g_timeout_source_new,
// g_timeout_source_new_seconds, g_source_set_ready_time; g_main_loop_run and
// g_main_context_iteration (the loop scope of lib_loop.h); the lookups and
// removals by user data (below).
//
// Each arming call is a site, keyed by its stack.
//
// latency (a first expiry at most TIMERSEM_SHORT away; GLib's intervals are
// milliseconds or seconds, so only TIMERSEM_SHORT >= 1ms reaches them; an
// interval of 0, "next iteration", is no timer for this aspect and stays
// native, but is a site for the stale aspect):
//   old: the first expiry comes max(interval, TIMERSEM_LAG) after the call;
//   new: the source is ready at once (ready time 0).
//   Later expiries of a repeating timeout (its callback returned TRUE) keep
//   the interval: GLib computes them from the interval itself.
// stale (g_source_set_ready_time re-arming or disarming a g_timeout_add*
// timeout that was due: its ready time passed, not dispatched yet):
//   old: its callback still runs once, from a one-shot source of the
//        shim's own at the same priority in the same context; the timeout's
//        GDestroyNotify runs after that;
//   new: it never runs (GLib's own behaviour).
//   Destroying a timeout (g_source_remove, g_source_destroy, its callback
//   returning FALSE) leaves no stale run, and cancels one still pending, in
//   both modes: GLib programs remove a timeout and then free what its
//   callback uses (often on the stack), so a stale run after a destroy
//   could only touch freed memory.
//   Only timeouts added with g_timeout_add* get stale runs: the shim knows
//   their callbacks (it wraps them for an old site, and a once callback in
//   every mode, and so also intercepts the lookups by user data, which
//   would see the wrapper). A source the program builds with
//   g_timeout_source_new gets the latency aspect only.
//
// GLib calls its own functions directly, not through the PLT, so only the
// program's calls reach these interceptors. A g_timeout_add* call that
// returns into GLib's dispatch, or into the shim's wrapper of a callback,
// was a callback's tail call: its site is keyed by the new timeout's
// callback as well (WhoCalled in lib_loop.h), as for libuv and libevent.
// The shim does not link GLib: glib.h is used for types only and every
// function is resolved at run time.
#include <glib.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <new>

#include "guard.h"
#include "interceptor.h"
#include "lib_loop.h"

namespace timerbisect::shim {

TB_REAL(g_timeout_add)
TB_REAL(g_timeout_add_full)
TB_REAL(g_timeout_add_once)
TB_REAL(g_timeout_add_seconds)
TB_REAL(g_timeout_add_seconds_full)
TB_REAL(g_timeout_source_new)
TB_REAL(g_timeout_source_new_seconds)
TB_REAL(g_source_set_ready_time)
TB_REAL(g_source_destroy)
TB_REAL(g_main_loop_run)
TB_REAL(g_main_context_iteration)
TB_REAL(g_source_set_priority)
TB_REAL(g_source_get_priority)
TB_REAL(g_source_set_callback)
TB_REAL(g_source_attach)
TB_REAL(g_source_unref)
TB_REAL(g_source_get_context)
TB_REAL(g_source_get_ready_time)
TB_REAL(g_source_is_destroyed)
TB_REAL(g_main_context_find_source_by_id)
TB_REAL(g_get_monotonic_time)
TB_REAL(g_main_context_default)
TB_REAL(g_main_context_find_source_by_user_data)
TB_REAL(g_main_context_find_source_by_funcs_user_data)
TB_REAL(g_source_remove_by_user_data)
TB_REAL(g_source_remove_by_funcs_user_data)

namespace {

constexpr const char* kSonames[] = {"libglib-2.0.so.0"};
#define G_REAL(name) LibReal<real_##name>(#name, kSonames)

// Everything a stale run needs; resolved once per call that may need it.
bool HaveSourceFunctions() {
  return G_REAL(g_source_set_priority) != nullptr && G_REAL(g_source_get_priority) != nullptr &&
         G_REAL(g_source_set_callback) != nullptr && G_REAL(g_source_attach) != nullptr &&
         G_REAL(g_source_unref) != nullptr && G_REAL(g_source_get_context) != nullptr &&
         G_REAL(g_source_get_ready_time) != nullptr && G_REAL(g_source_is_destroyed) != nullptr &&
         G_REAL(g_get_monotonic_time) != nullptr && G_REAL(g_timeout_source_new) != nullptr &&
         G_REAL(g_timeout_source_new_seconds) != nullptr &&
         G_REAL(g_source_set_ready_time) != nullptr;
}

// The callback of a timeout of an old site, wrapped so that a stale run
// can call it after the source is gone: the program's GDestroyNotify runs
// when the last of the source and its pending stale runs lets go.
struct Callback {
  GSourceFunc func = nullptr;
  GSourceOnceFunc once = nullptr;
  gpointer data = nullptr;
  GDestroyNotify notify = nullptr;
  GSource* source = nullptr;  // the timeout, until GLib destroys it
  std::atomic<int> refs{1};
  std::atomic<bool> destroyed{false};  // a pending stale run does nothing
  Callback* next = nullptr;            // in g_live while `source` holds it
  Callback* prev = nullptr;
};

// Wrapped callbacks whose timeout is not destroyed yet: GLib's lookups by
// user data (g_source_remove_by_user_data ...) see the wrapper, not the
// program's data, so their interceptors look here too.
Callback* g_live = nullptr;
std::atomic_flag g_live_lock = ATOMIC_FLAG_INIT;

void Link(Callback* callback) {
  SpinGuard lock(g_live_lock);
  callback->next = g_live;
  if (g_live != nullptr) g_live->prev = callback;
  g_live = callback;
}

void Unlink(Callback* callback) {
  SpinGuard lock(g_live_lock);
  if (callback->prev != nullptr) callback->prev->next = callback->next;
  if (callback->next != nullptr) callback->next->prev = callback->prev;
  if (g_live == callback) g_live = callback->next;
  callback->next = callback->prev = nullptr;
}

// The live wrapped timeout in `context` (null: the default one) whose
// program data is `data` (and whose source functions are `funcs`, unless
// null), or null.
GSource* FindWrapped(GMainContext* context, gpointer data, GSourceFuncs* funcs) {
  auto get_context = G_REAL(g_source_get_context);
  auto default_context = G_REAL(g_main_context_default);
  if (get_context == nullptr || default_context == nullptr) return nullptr;
  if (context == nullptr) context = default_context();
  SpinGuard lock(g_live_lock);
  for (Callback* c = g_live; c != nullptr; c = c->next) {
    if (c->data == data && get_context(c->source) == context &&
        (funcs == nullptr || c->source->source_funcs == funcs)) {
      return c->source;
    }
  }
  return nullptr;
}

void Release(Callback* callback) {
  if (callback->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (callback->notify != nullptr) callback->notify(callback->data);
  delete callback;
}

gboolean CallWrapped(gpointer p) {
  auto* callback = static_cast<Callback*>(p);
  if (callback->once != nullptr) {
    callback->once(callback->data);
    return G_SOURCE_REMOVE;
  }
  return callback->func(callback->data);
}

// GLib drops the timeout's reference (it was destroyed, by the program or
// by its callback returning FALSE): forget the timer.
void SourceLetGo(gpointer p) {
  auto* callback = static_cast<Callback*>(p);
  callback->destroyed.store(true, std::memory_order_release);
  Unlink(callback);
  ForgetLibraryTimer(callback->source, callback);
  Release(callback);
}

gboolean RunStale(gpointer p) {
  auto* callback = static_cast<Callback*>(p);
  if (callback->destroyed.load(std::memory_order_acquire)) return G_SOURCE_REMOVE;
  if (callback->once != nullptr) {
    callback->once(callback->data);
  } else {
    callback->func(callback->data);
  }
  return G_SOURCE_REMOVE;
}

void StaleLetGo(gpointer p) {
  Release(static_cast<Callback*>(p));
}

std::int64_t UsFromNs(std::int64_t ns) {
  return (ns + 999) / 1000;
}

// Old stale semantics: a due timeout of an old site that is about to be
// re-armed or disarmed (g_source_set_ready_time) leaves one run of its
// callback behind, which a later destroy of the timeout cancels.
void LeaveStaleRun(GSource* source) {
  if (source == nullptr || !HaveSourceFunctions()) return;
  LibTimerRecord record = RecallLibraryTimer(source);
  auto* callback = static_cast<Callback*>(record.extra);
  if (!record.stale_old || callback == nullptr || G_REAL(g_source_is_destroyed)(source)) return;
  gint64 ready = G_REAL(g_source_get_ready_time)(source);
  if (ready < 0 || ready > G_REAL(g_get_monotonic_time)()) return;  // not due
  ShimScope scope;
  GSource* stale = G_REAL(g_timeout_source_new)(0);
  G_REAL(g_source_set_priority)(stale, G_REAL(g_source_get_priority)(source));
  callback->refs.fetch_add(1, std::memory_order_relaxed);
  G_REAL(g_source_set_callback)(stale, RunStale, callback, StaleLetGo);
  G_REAL(g_source_attach)(stale, G_REAL(g_source_get_context)(source));
  G_REAL(g_source_unref)(stale);
}

// Applies the latency decision to a source's first expiry.
void AdjustFirstExpiry(GSource* source, const LibArm& arm) {
  if (arm.timeout_ns < 0 || source == nullptr) return;
  auto set_ready_time = G_REAL(g_source_set_ready_time);
  auto now = G_REAL(g_get_monotonic_time);
  if (set_ready_time == nullptr || now == nullptr) return;
  set_ready_time(source, arm.timeout_ns == 0 ? 0 : now() + UsFromNs(arm.timeout_ns));
}

std::int64_t NsFromMs(guint ms) {
  return std::int64_t{ms} * 1'000'000;
}
std::int64_t NsFromS(guint s) {
  return std::int64_t{s} * 1'000'000'000;
}

// g_timeout_add* for a counted call: builds the source as GLib does, with
// the callback wrapped for an old site, adjusts its first expiry, attaches
// it to the default context.
guint AddTimeout(Api api, gint priority, guint interval, bool seconds, GSourceFunc func,
                 GSourceOnceFunc once, gpointer data, GDestroyNotify notify, LibraryCaller caller) {
  // A callback's tail call (lib_loop.h): the timeout's callback stands in
  // for the frame it left.
  const void* lost_caller = nullptr;
  if (caller == LibraryCaller::kCallback) {
    lost_caller =
        func != nullptr ? reinterpret_cast<const void*>(func) : reinterpret_cast<const void*>(once);
  }
  LibArm arm = DecideLibraryArm(api, kLibGlib, seconds ? NsFromS(interval) : NsFromMs(interval),
                                false, lost_caller);
  GSource* source = seconds ? G_REAL(g_timeout_source_new_seconds)(interval)
                            : G_REAL(g_timeout_source_new)(interval);
  if (priority != G_PRIORITY_DEFAULT) G_REAL(g_source_set_priority)(source, priority);
  Callback* callback = nullptr;
  if (arm.stale_old || once != nullptr) {
    callback = new (std::nothrow) Callback;
  }
  if (callback != nullptr) {
    callback->func = func;
    callback->once = once;
    callback->data = data;
    callback->notify = notify;
    callback->source = source;
    G_REAL(g_source_set_callback)(source, CallWrapped, callback, SourceLetGo);
    // GLib sets a once callback's own data on its source too, so the
    // lookups by user data find it natively: both kinds are linked.
    Link(callback);
    if (arm.stale_old) RememberLibraryTimer(source, true, callback);
  } else {
    G_REAL(g_source_set_callback)(source, func, data, notify);
  }
  AdjustFirstExpiry(source, arm);
  guint id = G_REAL(g_source_attach)(source, nullptr);
  G_REAL(g_source_unref)(source);
  return id;
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT guint g_timeout_add_full(gint priority, guint interval, GSourceFunc func, gpointer data,
                                   GDestroyNotify notify) {
  auto real = G_REAL(g_timeout_add_full);
  if (real == nullptr) return 0;
  if (!ShimActive() || func == nullptr || !HaveSourceFunctions()) {
    return real(priority, interval, func, data, notify);
  }
  LibraryCaller caller = WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real));
  if (caller == LibraryCaller::kLibrary) return real(priority, interval, func, data, notify);
  return AddTimeout(Api::kGTimeoutAddFull, priority, interval, false, func, nullptr, data, notify,
                    caller);
}

TB_EXPORT guint g_timeout_add(guint interval, GSourceFunc func, gpointer data) {
  auto real = G_REAL(g_timeout_add);
  if (real == nullptr) return 0;
  if (!ShimActive() || func == nullptr || !HaveSourceFunctions()) {
    return real(interval, func, data);
  }
  LibraryCaller caller = WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real));
  if (caller == LibraryCaller::kLibrary) return real(interval, func, data);
  return AddTimeout(Api::kGTimeoutAdd, G_PRIORITY_DEFAULT, interval, false, func, nullptr, data,
                    nullptr, caller);
}

TB_EXPORT guint g_timeout_add_once(guint interval, GSourceOnceFunc func, gpointer data) {
  auto real = G_REAL(g_timeout_add_once);
  if (real == nullptr) return 0;
  if (!ShimActive() || func == nullptr || !HaveSourceFunctions()) {
    return real(interval, func, data);
  }
  LibraryCaller caller = WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real));
  if (caller == LibraryCaller::kLibrary) return real(interval, func, data);
  return AddTimeout(Api::kGTimeoutAddOnce, G_PRIORITY_DEFAULT, interval, false, nullptr, func, data,
                    nullptr, caller);
}

TB_EXPORT guint g_timeout_add_seconds_full(gint priority, guint interval, GSourceFunc func,
                                           gpointer data, GDestroyNotify notify) {
  auto real = G_REAL(g_timeout_add_seconds_full);
  if (real == nullptr) return 0;
  if (!ShimActive() || func == nullptr || !HaveSourceFunctions()) {
    return real(priority, interval, func, data, notify);
  }
  LibraryCaller caller = WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real));
  if (caller == LibraryCaller::kLibrary) return real(priority, interval, func, data, notify);
  return AddTimeout(Api::kGTimeoutAddSecondsFull, priority, interval, true, func, nullptr, data,
                    notify, caller);
}

TB_EXPORT guint g_timeout_add_seconds(guint interval, GSourceFunc func, gpointer data) {
  auto real = G_REAL(g_timeout_add_seconds);
  if (real == nullptr) return 0;
  if (!ShimActive() || func == nullptr || !HaveSourceFunctions()) {
    return real(interval, func, data);
  }
  LibraryCaller caller = WhoCalled(__builtin_return_address(0), reinterpret_cast<void*>(real));
  if (caller == LibraryCaller::kLibrary) return real(interval, func, data);
  return AddTimeout(Api::kGTimeoutAddSeconds, G_PRIORITY_DEFAULT, interval, true, func, nullptr,
                    data, nullptr, caller);
}

TB_EXPORT GSource* g_timeout_source_new(guint interval) {
  auto real = G_REAL(g_timeout_source_new);
  if (real == nullptr) return nullptr;
  GSource* source = real(interval);
  if (!ShimActive() || source == nullptr) return source;
  AdjustFirstExpiry(source,
                    DecideLibraryArm(Api::kGTimeoutSourceNew, kLibGlib, NsFromMs(interval), false));
  return source;
}

TB_EXPORT GSource* g_timeout_source_new_seconds(guint interval) {
  auto real = G_REAL(g_timeout_source_new_seconds);
  if (real == nullptr) return nullptr;
  GSource* source = real(interval);
  if (!ShimActive() || source == nullptr) return source;
  AdjustFirstExpiry(
      source, DecideLibraryArm(Api::kGTimeoutSourceNewSeconds, kLibGlib, NsFromS(interval), false));
  return source;
}

// A ready time > 0 arms the source at that monotonic time (µs); 0 makes it
// ready at once (no timer), -1 disarms it.
TB_EXPORT void g_source_set_ready_time(GSource* source, gint64 ready_time) {
  auto real = G_REAL(g_source_set_ready_time);
  if (real == nullptr) return;
  if (!ShimActive() || source == nullptr || !HaveSourceFunctions()) {
    real(source, ready_time);
    return;
  }
  LeaveStaleRun(source);
  if (ready_time > 0) {
    gint64 now = G_REAL(g_get_monotonic_time)();
    std::int64_t remaining_ns =
        ready_time - now >= INT64_MAX / 1000 ? INT64_MAX : (ready_time - now) * 1000;
    LibArm arm = DecideLibraryArm(Api::kGSourceSetReadyTime, kLibGlib,
                                  std::max<std::int64_t>(remaining_ns, 1), true);
    if (arm.timeout_ns == 0) ready_time = 0;
    if (arm.timeout_ns > 0) ready_time = now + UsFromNs(arm.timeout_ns);
  }
  real(source, ready_time);
}

// Lookups by user data: a timeout of an old site carries the shim's wrapper
// as its callback data, so GLib's own search misses it; these find it.
TB_EXPORT GSource* g_main_context_find_source_by_user_data(GMainContext* context,
                                                           gpointer user_data) {
  auto real = G_REAL(g_main_context_find_source_by_user_data);
  if (real == nullptr) return nullptr;
  GSource* source = real(context, user_data);
  if (source != nullptr || !ShimActive()) return source;
  return FindWrapped(context, user_data, nullptr);
}

TB_EXPORT GSource* g_main_context_find_source_by_funcs_user_data(GMainContext* context,
                                                                 GSourceFuncs* funcs,
                                                                 gpointer user_data) {
  auto real = G_REAL(g_main_context_find_source_by_funcs_user_data);
  if (real == nullptr) return nullptr;
  GSource* source = real(context, funcs, user_data);
  if (source != nullptr || !ShimActive()) return source;
  return FindWrapped(context, user_data, funcs);
}

TB_EXPORT gboolean g_source_remove_by_user_data(gpointer user_data) {
  auto real = G_REAL(g_source_remove_by_user_data);
  if (real == nullptr) return FALSE;
  if (!ShimActive()) return real(user_data);
  // GLib removes the first source it finds; the shim's lookup first, so
  // that a wrapped timeout leaves its stale run.
  GSource* wrapped = FindWrapped(nullptr, user_data, nullptr);
  auto destroy = G_REAL(g_source_destroy);
  if (wrapped == nullptr || destroy == nullptr) return real(user_data);
  destroy(wrapped);
  return TRUE;
}

TB_EXPORT gboolean g_source_remove_by_funcs_user_data(GSourceFuncs* funcs, gpointer user_data) {
  auto real = G_REAL(g_source_remove_by_funcs_user_data);
  if (real == nullptr) return FALSE;
  if (!ShimActive()) return real(funcs, user_data);
  GSource* wrapped = FindWrapped(nullptr, user_data, funcs);
  auto destroy = G_REAL(g_source_destroy);
  if (wrapped == nullptr || destroy == nullptr) return real(funcs, user_data);
  destroy(wrapped);
  return TRUE;
}

TB_EXPORT void g_main_loop_run(GMainLoop* loop) {
  auto real = G_REAL(g_main_loop_run);
  if (real == nullptr) return;
  if (!ShimActive()) {
    real(loop);
    return;
  }
  LibraryLoopScope scope(kLibGlib, reinterpret_cast<const void*>(real));
  real(loop);
}

TB_EXPORT gboolean g_main_context_iteration(GMainContext* context, gboolean may_block) {
  auto real = G_REAL(g_main_context_iteration);
  if (real == nullptr) return FALSE;
  if (!ShimActive()) return real(context, may_block);
  LibraryLoopScope scope(kLibGlib, reinterpret_cast<const void*>(real));
  return real(context, may_block);
}
