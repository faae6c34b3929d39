// What the library-timer interceptors share: see lib_loop.h.
#include "lib_loop.h"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <atomic>

#include "guard.h"
#include "state.h"
#include "timespec.h"
#include "watch.h"

namespace timerbisect::shim {

thread_local unsigned t_inside_loops __attribute__((tls_model("initial-exec"))) = 0;

namespace {

// Libraries whose timer API was intercepted in this process.
std::atomic<unsigned> g_timer_libs{0};

// The per-timer records: direct-mapped, lossy, under a spinlock (library
// timers are armed from loop threads, never from signal handlers).
struct Slot {
  const void* timer = nullptr;
  bool stale_old = false;
  bool stale_new = false;
  void* extra = nullptr;
};
constexpr std::size_t kSlots = 4096;
Slot g_slots[kSlots];
std::atomic_flag g_slots_lock = ATOMIC_FLAG_INIT;

Slot& SlotOf(const void* timer) {
  auto p = reinterpret_cast<std::uintptr_t>(timer);
  return g_slots[(p >> 4 ^ p >> 16) % kSlots];
}

}  // namespace

bool InsideLibraryLoopSlow(Api api) {
  switch (api) {
    case Api::kPoll:
    case Api::kPpoll:
    case Api::kSelect:
    case Api::kPselect:
    case Api::kEpollWait:
    case Api::kEpollPwait:
    case Api::kEpollPwait2:
      return (t_inside_loops & g_timer_libs.load(std::memory_order_relaxed)) != 0;
    default:
      return false;
  }
}

void NoteLibraryTimers(unsigned lib) {
  if ((g_timer_libs.load(std::memory_order_relaxed) & lib) == 0) {
    g_timer_libs.fetch_or(lib, std::memory_order_relaxed);
  }
}

std::atomic<const void*> g_loop_timerfd_owner{nullptr};

void NoteLoopTimerfdOwner(const void* library_function) {
  if (library_function != nullptr &&
      g_loop_timerfd_owner.load(std::memory_order_relaxed) != library_function) {
    g_loop_timerfd_owner.store(library_function, std::memory_order_relaxed);
  }
}

bool LoopOwnsTimerfdSlow(const void* return_address) {
  return CalledFromLibrary(return_address, g_loop_timerfd_owner.load(std::memory_order_relaxed));
}

void* ResolveInLibrary(const char* name, const char* soname) {
  ShimScope scope;
  void* fn = nullptr;
  // RTLD_NOLOAD: only a library the program already loaded; the handle's
  // reference is kept (the library stays as long as the process).
  if (void* handle = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD)) fn = dlsym(handle, name);
  return fn;
}

bool CalledFromLibrary(const void* return_address, const void* library_function) {
  if (library_function == nullptr) return false;
  dl_find_object caller, library;
  if (_dl_find_object(const_cast<void*>(return_address), &caller) != 0) return false;
  if (_dl_find_object(const_cast<void*>(library_function), &library) != 0) return false;
  return caller.dlfo_link_map == library.dlfo_link_map;
}

LibArm DecideLibraryArm(Api api, unsigned lib, std::int64_t timeout_ns, bool rearm) {
  NoteLibraryTimers(lib);
  const Config& cfg = GetConfig();
  LibArm arm;
  {
    ShimScope scope;
    arm.site = DecideSite(api);
    if (arm.site.watched) {
      CountWatched(arm.site.id, SettingEvents(rearm, std::max<std::int64_t>(timeout_ns, 1),
                                              std::max<std::int64_t>(timeout_ns, 0)));
    }
  }
  if (!arm.site.counts) return arm;
  arm.stale_old = (cfg.aspects & kAspectStale) != 0 && arm.site.mode == Mode::kOld;
  arm.stale_new = (cfg.aspects & kAspectStale) != 0 && arm.site.mode == Mode::kNew;
  if ((cfg.aspects & kAspectLatency) != 0 && timeout_ns > 0 && IsShort(timeout_ns, cfg.short_ns)) {
    arm.timeout_ns = arm.site.mode == Mode::kOld ? std::max(cfg.lag_ns, timeout_ns) : 0;
  }
  return arm;
}

void RememberLibraryTimer(const void* timer, bool stale_old, void* extra, bool stale_new) {
  SpinGuard lock(g_slots_lock);
  Slot& slot = SlotOf(timer);
  slot.timer = timer;
  slot.stale_old = stale_old;
  slot.stale_new = stale_new;
  slot.extra = extra;
}

LibTimerRecord RecallLibraryTimer(const void* timer) {
  SpinGuard lock(g_slots_lock);
  const Slot& slot = SlotOf(timer);
  LibTimerRecord record;
  if (slot.timer == timer) {
    record.stale_old = slot.stale_old;
    record.stale_new = slot.stale_new;
    record.extra = slot.extra;
  }
  return record;
}

void ForgetLibraryTimer(const void* timer) {
  SpinGuard lock(g_slots_lock);
  Slot& slot = SlotOf(timer);
  if (slot.timer == timer) slot = Slot{};
}

}  // namespace timerbisect::shim

namespace timerbisect::shim {

void ForgetLibraryTimer(const void* timer, const void* extra) {
  SpinGuard lock(g_slots_lock);
  Slot& slot = SlotOf(timer);
  if (slot.timer == timer && slot.extra == extra) slot = Slot{};
}

}  // namespace timerbisect::shim
