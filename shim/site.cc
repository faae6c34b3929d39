#include "site.h"

#include <dlfcn.h>
#include <link.h>
#include <re2/re2.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unwind.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "protocol/hash.h"
#include "protocol/marker.h"
#include "protocol/shim_lines.h"
#include "state.h"
#include "symbols.h"
#include "watch.h"

namespace timerbisect::shim {
namespace {

constexpr int kMaxFrames = 64;
// Frames of the shim itself between the interceptor and unw_backtrace.
constexpr int kMaxShimFrames = 8;

const Config* g_cfg = nullptr;
// The shim's own code, [start, end): its frames are no part of a site.
std::uintptr_t g_shim_start = 0, g_shim_end = 0;
char g_exe_path[4096] = "";

// Raw-stack cache: open addressing, lock-free. A slot is claimed by CAS on
// its key and published by `ready`; a reader that finds a claimed but
// unpublished slot computes the decision itself rather than wait.
struct CacheSlot {
  std::atomic<std::uint64_t> key{0};
  std::atomic<bool> ready{false};
  SiteDecision decision;
};
constexpr std::size_t kCacheSlots = 8192;
CacheSlot g_cache[kCacheSlots];
// Bumped around every dlclose: a decision is cached under its raw return
// addresses, and once a library is unloaded another one may be mapped at
// the same addresses. The generation is part of the cache key, so entries
// made before an unload are never found again (they stay, unreachable,
// until the table's probes give up and walks go uncached).
std::atomic<std::uint64_t> g_unload_generation{0};

// Whether this process has said that it reached a site outside
// TIMERSEM_SCOPE (once a process, to a report file only: the driver's
// "no site matched --scope", where it would otherwise say that no timer
// was reached at all).
std::atomic<bool> g_out_of_scope_noted{false};

// IDs reported by this process: each site's report is written once.
constexpr std::size_t kReportedSlots = 8192;
std::atomic<std::uint64_t> g_reported[kReportedSlots];
std::atomic<bool> g_reported_zero{false};

// True the first time `id` is seen by this process (or when the table is
// full: then reporting twice is better than not at all).
bool FirstReport(std::uint64_t id) {
  if (id == 0) return !g_reported_zero.exchange(true);
  std::size_t i = id % kReportedSlots;
  for (std::size_t probes = 0; probes < kReportedSlots; ++probes, i = (i + 1) % kReportedSlots) {
    std::uint64_t cur = g_reported[i].load(std::memory_order_acquire);
    if (cur == id) return false;
    if (cur == 0) {
      if (g_reported[i].compare_exchange_strong(cur, id)) return true;
      if (cur == id) return false;
    }
  }
  return true;
}

struct Frame {
  const char* module;  // full path as loaded
  std::uint64_t offset;
};

const char* Basename(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// (module, offset) of a return address, via _dl_find_object: lock-free and
// a few ns (glibc 2.35+), unlike dladdr.
bool Normalize(void* pc, Frame& frame) {
  dl_find_object obj;
  if (_dl_find_object(pc, &obj) != 0 || obj.dlfo_link_map == nullptr) {
    frame.module = "?";
    frame.offset = reinterpret_cast<std::uintptr_t>(pc);
    return false;
  }
  const link_map* map = obj.dlfo_link_map;
  frame.module = (map->l_name != nullptr && map->l_name[0] != '\0') ? map->l_name : g_exe_path;
  frame.offset = reinterpret_cast<std::uintptr_t>(pc) - map->l_addr;
  return true;
}

void WriteLine(int fd, const char* line, int length) {
  if (length <= 0) return;
  if (length > 1023) length = 1023;
  // One write(2) per line: whole lines even with many writers (O_APPEND or
  // a pipe, lines under PIPE_BUF), and nothing buffered to lose in a crash.
  while (syscall(SYS_write, fd, line, static_cast<std::size_t>(length)) < 0 && errno == EINTR) {
  }
}

// The site's report: a marker line naming the API and mode, and in verbose
// patterns (and watch mode) one marker line per frame, "module+0xoffset
// symbol". A watched site keeps native semantics: "mode=native". A site
// whose first frame stands in for a lost caller (DecideSite) says
// "caller=callback".
// DecideSite's buffers, per thread rather than on the stack: the guard
// keeps DecideSite from running twice at once on one thread, and a timer
// call in a signal handler on a small alternate stack, or near a thread
// stack's end, had the shim need about 4 KiB more stack than the call
// (audit 26).
thread_local char t_line[1024] __attribute__((tls_model("initial-exec")));
thread_local Frame t_frames[kMaxFrames] __attribute__((tls_model("initial-exec")));
thread_local void* t_raw[1 + kMaxFrames + kMaxShimFrames]
    __attribute__((tls_model("initial-exec")));

void Report(const SiteDecision& d, Api api, void* const* pcs, int n, bool lost_caller) {
  char marker[protocol::kMarkerSize];
  protocol::FormatMarker(d.id, marker);
  const int mlen = static_cast<int>(protocol::kMarkerSize);
  const char* mode = d.watched ? "native" : (d.mode == Mode::kNew ? "new" : "old");
  // Checked once a report, not once a line: it costs a system call.
  const int fd = ReportFd();
  char* const line = t_line;
  constexpr int kLineSize = sizeof t_line;
  int len = std::snprintf(line, kLineSize, "%.*s timerbisect site %s mode=%s kind=%s%s\n", mlen,
                          marker, ApiName(api), mode, IsWaitApi(api) ? "wait" : "timer",
                          lost_caller ? " caller=callback" : "");
  WriteLine(fd, line, len < 0 ? 0 : std::min(len, kLineSize - 1));
  if (!g_cfg->matcher.Verbose() && !g_cfg->watch) return;
  for (int i = 0; i < n; ++i) {
    Frame frame;
    Normalize(pcs[i], frame);
    const char* symbol = FunctionName(pcs[i]);
    if (symbol == nullptr) symbol = "";
    len = std::snprintf(line, kLineSize, "%.*s   #%d %s+0x%llx %s\n", mlen, marker, i, frame.module,
                        static_cast<unsigned long long>(frame.offset), symbol);
    if (len >= kLineSize) {
      line[kLineSize - 2] = '\n';
      len = kLineSize - 1;
    }
    WriteLine(fd, line, len);
  }
}

void NoteOutOfScope(Api api) {
  char line[160];
  int len = std::snprintf(line, sizeof line, TIMERBISECT_OUTSIDE_SCOPE "pid=%d api=%s\n",
                          static_cast<int>(syscall(SYS_getpid)), ApiName(api));
  WriteLine(ReportFd(), line, len < 0 ? 0 : std::min(len, 159));
}

bool InScope(void* const* pcs, const Frame* frames, int n) {
  if (!g_cfg->scope) return true;
  // re2 allocates (DFA states) and takes its own lock: a site first reached
  // in a signal handler that interrupted malloc could deadlock in it. A
  // scope of plain names never goes there (README: TIMERSEM_SCOPE).
  auto matches = [](const char* text) {
    return g_cfg->scope_plain.valid() ? g_cfg->scope_plain.PartialMatch(text)
                                      : RE2::PartialMatch(text, *g_cfg->scope);
  };
  // Module paths first: they cost nothing to look at.
  for (int i = 0; i < n; ++i) {
    if (matches(frames[i].module)) return true;
  }
  for (int i = 0; i < n; ++i) {
    const char* name = FunctionName(pcs[i]);
    if (name != nullptr && matches(name)) return true;
  }
  return false;
}

SiteDecision Decide(void* const* pcs, int n) {
  Frame* const frames = t_frames;
  protocol::Fnv1a64 h;
  for (int i = 0; i < n; ++i) {
    Normalize(pcs[i], frames[i]);
    h.AddBytes(Basename(frames[i].module)).AddU64(frames[i].offset);
  }
  SiteDecision d;
  d.id = h.value();
  d.counts = InScope(pcs, frames, n);
  if (!d.counts) return d;
  if (g_cfg->watch) {
    d.counts = false;  // native semantics: the caller only counts
    d.watched = true;
    d.report = true;
    return d;
  }
  const protocol::Matcher& m = g_cfg->matcher;
  Mode other = g_cfg->pattern_mode == Mode::kNew ? Mode::kOld : Mode::kNew;
  d.mode = m.ShouldEnable(d.id) ? g_cfg->pattern_mode : other;
  d.report = m.ShouldReport(d.id);
  return d;
}

SiteDecision CachedDecision(std::uint64_t key, void* const* pcs, int n) {
  std::size_t i = key % kCacheSlots;
  for (int probes = 0; probes < 16; ++probes, i = (i + 1) % kCacheSlots) {
    CacheSlot& slot = g_cache[i];
    std::uint64_t cur = slot.key.load(std::memory_order_acquire);
    if (cur == 0 && slot.key.compare_exchange_strong(cur, key, std::memory_order_acq_rel)) {
      slot.decision = Decide(pcs, n);
      slot.ready.store(true, std::memory_order_release);
      return slot.decision;
    }
    if (cur == key) {
      if (slot.ready.load(std::memory_order_acquire)) return slot.decision;
      break;  // being filled by another thread: compute without caching
    }
  }
  return Decide(pcs, n);
}

}  // namespace

bool IsWaitApi(Api api) {
  switch (api) {
    case Api::kTimerfdCreate:
    case Api::kTimerCreate:
    case Api::kSetitimer:
    case Api::kAlarm:
    case Api::kUalarm:
    case Api::kUvTimerStart:
    case Api::kUvTimerAgain:
    case Api::kGTimeoutAdd:
    case Api::kGTimeoutAddFull:
    case Api::kGTimeoutAddOnce:
    case Api::kGTimeoutAddSeconds:
    case Api::kGTimeoutAddSecondsFull:
    case Api::kGTimeoutSourceNew:
    case Api::kGTimeoutSourceNewSeconds:
    case Api::kGSourceSetReadyTime:
    case Api::kEventAdd:
    case Api::kSdEventAddTime:
    case Api::kSdEventAddTimeRelative:
    case Api::kSdEventSourceSetTime:
    case Api::kSdEventSourceSetTimeRelative:
      return false;
    case Api::kNanosleep:
    case Api::kClockNanosleep:
    case Api::kUsleep:
    case Api::kSleep:
    case Api::kThrdSleep:
    case Api::kPoll:
    case Api::kPpoll:
    case Api::kSelect:
    case Api::kPselect:
    case Api::kEpollWait:
    case Api::kEpollPwait:
    case Api::kEpollPwait2:
    case Api::kCondTimedwait:
    case Api::kCondClockwait:
    case Api::kCndTimedwait:
    case Api::kSemTimedwait:
    case Api::kSemClockwait:
    case Api::kMutexTimedlock:
    case Api::kMutexClocklock:
    case Api::kMtxTimedlock:
    case Api::kFutexWait:
    case Api::kRwlockTimedlock:
    case Api::kRwlockClocklock:
    case Api::kTimedjoin:
    case Api::kMqTimedsend:
    case Api::kMqTimedreceive:
    case Api::kSigtimedwait:
    case Api::kSocketTimeout:
      return true;
  }
  return false;
}

const char* ApiName(Api api) {
  static constexpr const char* kNames[] = {
      "timerfd_create",
      "timer_create",
      "setitimer",
      "alarm",
      "ualarm",
      "nanosleep",
      "clock_nanosleep",
      "usleep",
      "sleep",
      "thrd_sleep",
      "poll",
      "ppoll",
      "select",
      "pselect",
      "epoll_wait",
      "epoll_pwait",
      "epoll_pwait2",
      "pthread_cond_timedwait",
      "pthread_cond_clockwait",
      "cnd_timedwait",
      "sem_timedwait",
      "sem_clockwait",
      "pthread_mutex_timedlock",
      "pthread_mutex_clocklock",
      "mtx_timedlock",
      "futex_wait",
      "pthread_rwlock_timedlock",
      "pthread_rwlock_clocklock",
      "pthread_timedjoin_np",
      "mq_timedsend",
      "mq_timedreceive",
      "sigtimedwait",
      "setsockopt_timeout",
      "uv_timer_start",
      "uv_timer_again",
      "g_timeout_add",
      "g_timeout_add_full",
      "g_timeout_add_once",
      "g_timeout_add_seconds",
      "g_timeout_add_seconds_full",
      "g_timeout_source_new",
      "g_timeout_source_new_seconds",
      "g_source_set_ready_time",
      "event_add",
      "sd_event_add_time",
      "sd_event_add_time_relative",
      "sd_event_source_set_time",
      "sd_event_source_set_time_relative",
  };
  return kNames[static_cast<int>(api)];
}

void InitSites(const Config& config) {
  g_cfg = &config;
  dl_find_object obj;
  if (_dl_find_object(reinterpret_cast<void*>(&InitSites), &obj) == 0) {
    g_shim_start = reinterpret_cast<std::uintptr_t>(obj.dlfo_map_start);
    g_shim_end = reinterpret_cast<std::uintptr_t>(obj.dlfo_map_end);
  }
  ssize_t n = readlink("/proc/self/exe", g_exe_path, sizeof g_exe_path - 1);
  g_exe_path[n > 0 ? n : 0] = '\0';
  WarmUpStackWalks();
  // Reports of frames name their functions: read the symbol tables at
  // start-up, not in the first timer call. (The scope needs names only
  // when no frame's module path matches it, so it reads them on demand.)
  if (config.watch || config.matcher.Verbose()) IndexCommonModules();
}

void NoteLibraryUnloading() {
  g_unload_generation.fetch_add(1, std::memory_order_acq_rel);
}

void ResetSitesAfterFork() {
  for (auto& slot : g_reported) slot.store(0, std::memory_order_relaxed);
  g_reported_zero.store(false, std::memory_order_relaxed);
  g_out_of_scope_noted.store(false, std::memory_order_relaxed);
}

namespace {

// The stack walk: libgcc's unwinder, linked statically into the shim and
// hidden (see shim/CMakeLists.txt), not libunwind. GCC 12's unwinder finds
// each frame's FDE through _dl_find_object: no lock, no allocation, no
// per-thread setup, so a walk is safe in a signal handler, in a thread that
// is forking, and in a fork child, and the first walk of a thread costs
// what any other walk costs. libunwind took a lock (dl_iterate_phdr, with
// a sigprocmask pair around it) for every frame it had not cached yet,
// which cost about 1 ms for the first walk of each thread, and being a
// shared library it put its _Unwind_* into the program's global scope.
struct Walk {
  void** pcs;
  int size;
  int count;
};

_Unwind_Reason_Code CollectFrame(_Unwind_Context* context, void* arg) {
  auto* walk = static_cast<Walk*>(arg);
  int before_insn = 0;
  _Unwind_Ptr pc = _Unwind_GetIPInfo(context, &before_insn);
  // The frame a signal interrupted: a site in a signal handler ends at the
  // handler's signal frame (the sigreturn trampoline is its last frame), so
  // it has one identity, not one per interrupted instruction.
  if (before_insn != 0 || pc == 0) return _URC_NORMAL_STOP;
  walk->pcs[walk->count++] = reinterpret_cast<void*>(pc);
  return walk->count < walk->size ? _URC_NO_REASON : _URC_NORMAL_STOP;
}

int WalkStack(void** raw, int size) {
  Walk walk{raw, size, 0};
  _Unwind_Backtrace(CollectFrame, &walk);
  return walk.count;
}

}  // namespace

bool InShim(const void* pc) {
  auto address = reinterpret_cast<std::uintptr_t>(pc);
  return address >= g_shim_start && address < g_shim_end;
}

void WarmUpStackWalks() {
  // The unwinder's one-time setup (a pthread_once) happens here, at
  // initialization, not in a signal handler that interrupted it.
  void* raw[2];
  WalkStack(raw, 2);
}

SiteDecision DecideSite(Api api, const void* lost_caller) {
  // raw[0] is room for the stand-in of a lost caller.
  void** const raw = t_raw;
  int total = WalkStack(raw + 1, g_cfg->depth + kMaxShimFrames);
  // The shim's own frames are no part of a site: the interceptor's, and
  // those of its loop interceptors (uv_run, g_main_loop_run ...) and
  // callback wrappers between a library's frames, which would otherwise
  // be in the ID and move with the shim's build.
  int kept = 0;
  for (int i = 0; i < total; ++i) {
    if (!InShim(raw[1 + i])) raw[1 + kept++] = raw[1 + i];
  }
  void** pcs = raw + 1;
  int n = std::min(kept, g_cfg->depth);
  if (lost_caller != nullptr) {
    *--pcs = const_cast<char*>(static_cast<const char*>(lost_caller)) + 1;
    n = std::min(n + 1, g_cfg->depth);
  }

  protocol::Fnv1a64 key_hash;
  key_hash.AddU64(g_unload_generation.load(std::memory_order_acquire));
  for (int i = 0; i < n; ++i) key_hash.AddU64(reinterpret_cast<std::uintptr_t>(pcs[i]));
  std::uint64_t key = key_hash.value() | 1;  // 0 marks an empty slot

  SiteDecision d = CachedDecision(key, pcs, n);
  if (!d.counts && !d.watched && !g_cfg->report_path.empty() &&
      !g_out_of_scope_noted.load(std::memory_order_relaxed) &&
      !g_out_of_scope_noted.exchange(true)) {
    NoteOutOfScope(api);
  }
  if (d.report && FirstReport(d.id)) {
    Report(d, api, pcs, n, lost_caller != nullptr);
    // Every watched site gets a stats line at exit, even one never armed.
    if (d.watched) CountWatched(d.id, 0);
  }
  return d;
}

}  // namespace timerbisect::shim
