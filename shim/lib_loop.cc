// What the library-timer interceptors share: see lib_loop.h.
#include "lib_loop.h"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "guard.h"
#include "state.h"
#include "symbols.h"
#include "timespec.h"
#include "watch.h"

namespace timerbisect::shim {

thread_local unsigned t_inside_loops __attribute__((tls_model("initial-exec"))) = 0;

namespace {

// Libraries whose timer API was intercepted in this process.
std::atomic<unsigned> g_timer_libs{0};

// The per-timer records: open addressing with linear probing over at most
// kProbes slots, under a spinlock (library timers are armed from loop
// threads, never from signal handlers). A forgotten record leaves a
// tombstone. Only a program with more live timers than the probes can
// place loses a record, the oldest in the timer's home slot (a direct-
// mapped table of 4096 lost records from a few hundred timers on, a
// different subset each run: audit 24).
struct Slot {
  const void* timer = nullptr;  // null: empty; kTombstone: forgotten
  bool stale_old = false;
  bool stale_new = false;
  void* extra = nullptr;
};
constexpr std::size_t kSlots = 16384;
constexpr std::size_t kProbes = 64;
const void* const kTombstone = &kProbes;
Slot g_slots[kSlots];
std::atomic_flag g_slots_lock = ATOMIC_FLAG_INIT;

std::size_t HomeOf(const void* timer) {
  auto p = reinterpret_cast<std::uintptr_t>(timer);
  return (p >> 4 ^ p >> 18) % kSlots;
}

// The slot holding `timer`, or null.
Slot* FindSlot(const void* timer) {
  std::size_t home = HomeOf(timer);
  for (std::size_t i = 0; i < kProbes; ++i) {
    Slot& slot = g_slots[(home + i) % kSlots];
    if (slot.timer == timer) return &slot;
    if (slot.timer == nullptr) return nullptr;
  }
  return nullptr;
}

// The slot for `timer`: its own, else the first free one in reach, else
// its home slot (whose record is lost).
Slot& PlaceSlot(const void* timer) {
  if (Slot* own = FindSlot(timer)) return *own;
  std::size_t home = HomeOf(timer);
  for (std::size_t i = 0; i < kProbes; ++i) {
    Slot& slot = g_slots[(home + i) % kSlots];
    if (slot.timer == nullptr || slot.timer == kTombstone) return slot;
  }
  return g_slots[home];
}

// True when `return_address` lies in the same module as `library_function`;
// `caller` then describes that module.
bool CalledFromLibrary(const void* return_address, const void* library_function,
                       dl_find_object& caller) {
  if (library_function == nullptr) return false;
  dl_find_object library;
  if (_dl_find_object(const_cast<void*>(return_address), &caller) != 0) return false;
  if (_dl_find_object(const_cast<void*>(library_function), &library) != 0) return false;
  return caller.dlfo_link_map == library.dlfo_link_map;
}

// True when the instruction that ends at `ret` (a return address inside
// the module mapped at [start, end)) is a call through a function pointer
// held in a register or in memory addressed by one: a library calling a
// callback. False for a direct call, a call through a RIP-relative slot
// (the GOT: -fno-plt), and anything not decoded.
bool FollowsPointerCall(const unsigned char* ret, const unsigned char* start,
                        const unsigned char* end) {
#if defined(__x86_64__)
  // call rel32 (e8): a library's call of its own exported function through
  // its PLT. Its target lies in the module; bytes that only look like one
  // (the tail of an indirect call) point hundreds of MB away.
  if (ret - 5 >= start && ret[-5] == 0xe8) {
    std::int32_t rel;
    std::memcpy(&rel, ret - 4, sizeof rel);
    const unsigned char* target = ret + rel;
    if (target >= start && target < end) return false;
  }
  // call r/m64 (ff /2): opcode, ModRM, then a SIB byte and a displacement
  // as ModRM says; the instruction must end exactly at `ret`.
  for (int length : {2, 3, 4, 6, 7}) {
    if (ret - length < start) continue;
    const unsigned char* insn = ret - length;
    if (insn[0] != 0xff || ((insn[1] >> 3) & 7) != 2) continue;
    int mod = insn[1] >> 6, rm = insn[1] & 7;
    if (mod == 0 && rm == 5) continue;  // RIP-relative: the GOT or a global
    int decoded = 2;
    if (mod != 3 && rm == 4) {
      decoded += 1;  // SIB
      if (mod == 0 && (insn[2] & 7) == 5) decoded += 4;
    }
    if (mod == 1) decoded += 1;
    if (mod == 2) decoded += 4;
    if (decoded == length) return true;
  }
  return false;
#elif defined(__aarch64__)
  // blr xN: a call through a register (bl, the direct call, is not).
  if (ret - 4 < start) return false;
  std::uint32_t insn;
  std::memcpy(&insn, ret - 4, sizeof insn);
  (void)end;
  return (insn & 0xfffffc1fu) == 0xd63f0000u;
#else
  (void)ret;
  (void)start;
  (void)end;
  return false;
#endif
}

}  // namespace

// `name` is the wait function `wait` itself, or an interceptor of it as the
// sanitizers name theirs.
bool IsWaitInterceptorName(const char* name, const char* wait) {
  for (const char* prefix : {"", "__interceptor_", "___interceptor_"}) {
    std::size_t n = std::strlen(prefix);
    if (std::strncmp(name, prefix, n) == 0 && std::strcmp(name + n, wait) == 0) return true;
  }
  return false;
}

// The module of each library's run function, by bit index (LibraryBit):
// its address range, found once, so that the loop's every wait is two
// compares, not a module lookup of the caller and of the library.
constexpr int kLibraries = 4;
struct LoopModule {
  std::atomic<std::uintptr_t> start{0}, end{0};  // end 0: not known yet
};
LoopModule g_loop_modules[kLibraries];

void NoteLoopFunction(unsigned lib, const void* loop_function) {
  for (int i = 0; i < kLibraries; ++i) {
    LoopModule& module = g_loop_modules[i];
    if ((lib & (1u << i)) == 0 || module.end.load(std::memory_order_acquire) != 0) continue;
    dl_find_object found;
    if (_dl_find_object(const_cast<void*>(loop_function), &found) != 0) continue;
    // Two threads may store the same range: harmless.
    module.start.store(reinterpret_cast<std::uintptr_t>(found.dlfo_map_start),
                       std::memory_order_relaxed);
    module.end.store(reinterpret_cast<std::uintptr_t>(found.dlfo_map_end),
                     std::memory_order_release);
  }
}

bool InLoopModule(int i, const void* address) {
  const std::uintptr_t end = g_loop_modules[i].end.load(std::memory_order_acquire);
  const auto p = reinterpret_cast<std::uintptr_t>(address);
  return end != 0 && p >= g_loop_modules[i].start.load(std::memory_order_relaxed) && p < end;
}

bool InsideLibraryLoopSlow(Api api, const void* caller) {
  switch (api) {
    case Api::kPoll:
    case Api::kPpoll:
    case Api::kSelect:
    case Api::kPselect:
    case Api::kEpollWait:
    case Api::kEpollPwait:
    case Api::kEpollPwait2:
      break;
    default:
      return false;
  }
  const unsigned libs = t_inside_loops & g_timer_libs.load(std::memory_order_relaxed);
  if (libs == 0) return false;
  if (caller == nullptr) return true;
  for (int i = 0; i < kLibraries; ++i) {
    if ((libs & (1u << i)) != 0 && InLoopModule(i, caller)) return true;
  }
  // Another interposer's own interceptor of the wait stands between the
  // library and the shim (a sanitizer runtime's poll, in the program or in
  // its own library): its return address says nothing of who waits, so
  // the wait is taken as the loop's, as every wait inside the loop was
  // before callers were told apart (the ASan tree found GLib's poll a site).
  ShimScope scope;
  const char* name = FunctionName(const_cast<void*>(caller));
  return name != nullptr && IsWaitInterceptorName(name, ApiName(api));
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
  dl_find_object caller;
  return CalledFromLibrary(return_address, g_loop_timerfd_owner.load(std::memory_order_relaxed),
                           caller);
}

void* ResolveInLibrary(const char* name, const char* soname) {
  ShimScope scope;
  void* fn = nullptr;
  // RTLD_NOLOAD: only a library the program already loaded; the handle's
  // reference is kept (the library stays as long as the process).
  if (void* handle = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD)) fn = dlsym(handle, name);
  return fn;
}

LibraryCaller WhoCalled(const void* return_address, const void* library_function) {
  // The shim calls a program's timer callback only through a pointer (a
  // wrapped GLib callback, a stale run): a return into the shim is such a
  // callback's tail call.
  if (InShim(return_address)) return LibraryCaller::kCallback;
  dl_find_object caller;
  if (!CalledFromLibrary(return_address, library_function, caller)) return LibraryCaller::kProgram;
  return FollowsPointerCall(static_cast<const unsigned char*>(return_address),
                            static_cast<const unsigned char*>(caller.dlfo_map_start),
                            static_cast<const unsigned char*>(caller.dlfo_map_end))
             ? LibraryCaller::kCallback
             : LibraryCaller::kLibrary;
}

LibArm DecideLibraryArm(Api api, unsigned lib, std::int64_t timeout_ns, bool rearm,
                        const void* lost_caller) {
  NoteLibraryTimers(lib);
  const Config& cfg = GetConfig();
  LibArm arm;
  {
    ShimScope scope;
    arm.site = DecideSite(api, lost_caller);
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
  Slot& slot = PlaceSlot(timer);
  slot.timer = timer;
  slot.stale_old = stale_old;
  slot.stale_new = stale_new;
  slot.extra = extra;
}

LibTimerRecord RecallLibraryTimer(const void* timer) {
  SpinGuard lock(g_slots_lock);
  LibTimerRecord record;
  if (const Slot* slot = FindSlot(timer)) {
    record.stale_old = slot->stale_old;
    record.stale_new = slot->stale_new;
    record.extra = slot->extra;
  }
  return record;
}

void ForgetLibraryTimer(const void* timer) {
  SpinGuard lock(g_slots_lock);
  if (Slot* slot = FindSlot(timer)) *slot = Slot{kTombstone};
}

}  // namespace timerbisect::shim

namespace timerbisect::shim {

void ForgetLibraryTimer(const void* timer, const void* extra) {
  SpinGuard lock(g_slots_lock);
  if (Slot* slot = FindSlot(timer); slot != nullptr && slot->extra == extra) {
    *slot = Slot{kTombstone};
  }
}

}  // namespace timerbisect::shim
