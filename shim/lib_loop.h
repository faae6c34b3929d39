// Library timers (lib_uv.cc, lib_glib.cc, lib_event.cc, lib_sdevent.cc):
// what the interceptors of event-loop libraries share.
//
// A library timer is a site keyed by the stack of its arming call
// (uv_timer_start, g_timeout_add, event_add with a timeout ...). The loop's
// own wait (the epoll_wait or poll inside uv_run, g_main_context_iteration,
// event_base_loop) would be a second site for the same timers: lagging it
// moves every timer of the loop together. So once a library's timer API has
// been intercepted in this process, a poll-family wait that the library
// itself makes while the thread is inside its run function is native, not
// a site (InsideLibraryLoop, consulted at the top of DecideLatency in
// timeout.h). The program's own poll, select or epoll_wait in a callback
// stays a site (it was native too: audit 24).
// Sleeps, condvar and futex waits, and timerfds made inside the loop (from a
// callback) stay sites: only the wait that multiplexes the loop's timers
// steps aside. sd-event multiplexes its timers with a timerfd per clock,
// not with the wait's timeout: a timerfd that libsystemd itself creates is
// native too, once sd-event's timer API has been intercepted
// (LoopOwnsTimerfd, consulted first in timerfd_create).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "site.h"

namespace timerbisect::shim {

// One bit per library.
enum LibraryBit : unsigned {
  kLibUv = 1u << 0,
  kLibGlib = 1u << 1,
  kLibEvent = 1u << 2,
  kLibSdEvent = 1u << 3,
};

// The libraries whose run function the calling thread is inside.
extern thread_local unsigned t_inside_loops __attribute__((tls_model("initial-exec")));

// True when `api` (a wait whose interceptor returns to `caller`) is the
// loop's own multiplexing wait of a library whose timers are sites in this
// process: made by that library's module inside its run function. The wait
// stays native. A null `caller` is not checked (any wait inside the loop).
bool InsideLibraryLoopSlow(Api api, const void* caller);
inline bool InsideLibraryLoop(Api api, const void* caller) {
  return t_inside_loops != 0 && InsideLibraryLoopSlow(api, caller);
}

// Records that a timer API of `lib` was intercepted (active shim).
void NoteLibraryTimers(unsigned lib);

// Records that the module holding `library_function` (libsystemd) makes
// its loop's own timerfds: from now on a timerfd it creates is no site.
void NoteLoopTimerfdOwner(const void* library_function);
extern std::atomic<const void*> g_loop_timerfd_owner;
bool LoopOwnsTimerfdSlow(const void* return_address);
// True when timerfd_create, returning to `return_address`, was called by a
// loop library that multiplexes its (intercepted) timers on it.
inline bool LoopOwnsTimerfd(const void* return_address) {
  return g_loop_timerfd_owner.load(std::memory_order_relaxed) != nullptr &&
         LoopOwnsTimerfdSlow(return_address);
}

// Holds a spinlock (an std::atomic_flag) for its lifetime: the short
// critical sections over the library-timer tables, entered from loop
// threads, never from signal handlers.
class SpinGuard {
 public:
  explicit SpinGuard(std::atomic_flag& flag) : flag_(flag) {
    while (flag_.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~SpinGuard() { flag_.clear(std::memory_order_release); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  std::atomic_flag& flag_;
};

// The run function (uv_run, g_main_loop_run ...) of each library, by bit:
// its module is the one whose waits are the loop's own.
void NoteLoopFunction(unsigned lib, const void* loop_function);

// Marks the calling thread as inside `lib`'s run function for its lifetime.
class LibraryLoopScope {
 public:
  // `loop_function`: the library's real run function.
  LibraryLoopScope(unsigned lib, const void* loop_function) : saved_(t_inside_loops) {
    NoteLoopFunction(lib, loop_function);
    t_inside_loops |= lib;
  }
  ~LibraryLoopScope() { t_inside_loops = saved_; }
  LibraryLoopScope(const LibraryLoopScope&) = delete;
  LibraryLoopScope& operator=(const LibraryLoopScope&) = delete;

 private:
  unsigned saved_;
};

// Resolves `name` in an already loaded `soname` (dlopen RTLD_NOLOAD): the
// fallback when dlsym(RTLD_NEXT) finds nothing because the library was
// loaded after the shim's initialization with RTLD_LOCAL. Null when absent.
void* ResolveInLibrary(const char* name, const char* soname);

// The real function behind `Real` (a TB_REAL declaration): dlsym(RTLD_NEXT)
// as usual, else the first of `sonames` that the program has loaded
// (resolved once, then cached). Null when the library is not loaded (then
// each call looks again: a library the program dlopens later is found).
template <auto& Real, std::size_t N>
auto LibReal(const char* name, const char* const (&sonames)[N]) {
  using Fn = decltype(Real.get());
  // The fallback first: while RTLD_NEXT finds nothing, Real.get() calls
  // dlsym again on every call.
  static std::atomic<void*> fallback{nullptr};
  void* p = fallback.load(std::memory_order_acquire);
  if (p != nullptr) return reinterpret_cast<Fn>(p);
  Fn fn = Real.get();
  if (fn != nullptr) return fn;
  {
    for (const char* soname : sonames) {
      p = ResolveInLibrary(name, soname);
      if (p != nullptr) break;
    }
    if (p != nullptr) fallback.store(p, std::memory_order_release);
  }
  return reinterpret_cast<Fn>(p);
}

// Who called a library's exported timer function (an interceptor), told
// from the interceptor's return address:
//   kProgram   code outside the library;
//   kLibrary   the library itself: a direct call (through its PLT or GOT)
//              from inside its module, such as libuv's loop re-arming a
//              repeating timer with uv_timer_stop and uv_timer_again;
//   kCallback  a callback that ended in a tail call of the function: its
//              frame is gone, and the call returns straight into the
//              library's dispatch, to just after the library's call of a
//              function pointer (or into the shim, which called the
//              callback itself). It is the program's call.
// The last two are told apart by the call instruction just before the
// return address (decoded on x86-64 and AArch64; elsewhere every call from
// inside the library is kLibrary): a library calls its own exported
// functions directly, and its callbacks through a pointer.
enum class LibraryCaller : std::uint8_t { kProgram, kLibrary, kCallback };
LibraryCaller WhoCalled(const void* return_address, const void* library_function);

// The decision for one arming of a library timer: its site, its mode, and
// what the latency aspect makes of its first expiry.
struct LibArm {
  SiteDecision site;
  bool stale_old = false;  // stale aspect, old: a due callback survives stop/re-arm
  bool stale_new = false;  // stale aspect, new: a due callback never runs after them
  // Latency: -1 native; otherwise the new timeout in ns (0: at once).
  std::int64_t timeout_ns = -1;
};

// Decides an arming of `api` whose first expiry is `timeout_ns` away (0:
// "next iteration", not a timer for the latency aspect), counting it in
// watch mode (`rearm`: the timer was armed). `lost_caller`: for an arming
// tail-called from a callback (LibraryCaller::kCallback), the timer's
// callback, which then keys the site together with the library's frames
// (DecideSite). Takes the reentrancy guard itself; keeps errno.
LibArm DecideLibraryArm(Api api, unsigned lib, std::int64_t timeout_ns, bool rearm,
                        const void* lost_caller = nullptr);

// The per-timer record: the mode of a timer's last arming, keyed by the
// library's timer object (a handle, a source, an event). Room for
// thousands of live timers; past what it can place, a timer loses its
// record and behaves natively.
struct LibTimerRecord {
  bool stale_old = false;
  bool stale_new = false;
  void* extra = nullptr;  // the library file's own per-timer data, if any
};
void RememberLibraryTimer(const void* timer, bool stale_old, void* extra = nullptr,
                          bool stale_new = false);
// The record of `timer`, or a default (native) one.
LibTimerRecord RecallLibraryTimer(const void* timer);
void ForgetLibraryTimer(const void* timer);
// Forgets `timer` only while its record still holds `extra`.
void ForgetLibraryTimer(const void* timer, const void* extra);

}  // namespace timerbisect::shim
