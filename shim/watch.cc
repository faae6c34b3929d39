#include "watch.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fd_table.h"
#include "guard.h"
#include "protocol/marker.h"
#include "protocol/shim_lines.h"
#include "state.h"
#include "timespec.h"

namespace timerbisect::shim {
namespace {

// The head of a getdents64 record (<dirent.h>'s struct dirent has the same
// layout, but its name is a fixed array).
struct linux_dirent64_view {
  std::uint64_t ino;
  std::int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};

// Open addressing over a fixed array, lock-free: a slot is claimed by CAS
// on its site ID (0: empty; site 0 has its own slot) and never freed.
struct Counters {
  std::atomic<std::uint64_t> site{0};
  std::atomic<std::uint64_t> arms{0};
  std::atomic<std::uint64_t> rearms{0};
  std::atomic<std::uint64_t> shorts{0};
};
constexpr std::size_t kCounterSlots = 4096;
Counters g_counters[kCounterSlots];
Counters g_site_zero;
std::atomic<bool> g_site_zero_used{false};

Counters* SlotFor(std::uint64_t site) {
  if (site == 0) {
    g_site_zero_used.store(true, std::memory_order_relaxed);
    return &g_site_zero;
  }
  std::size_t i = site % kCounterSlots;
  for (std::size_t probes = 0; probes < kCounterSlots; ++probes, i = (i + 1) % kCounterSlots) {
    std::uint64_t cur = g_counters[i].site.load(std::memory_order_acquire);
    if (cur == site) return &g_counters[i];
    if (cur == 0) {
      if (g_counters[i].site.compare_exchange_strong(cur, site, std::memory_order_acq_rel)) {
        return &g_counters[i];
      }
      if (cur == site) return &g_counters[i];
    }
  }
  return nullptr;
}

// One marker line, "[bisect-match 0x...] TEXT", in one write(2) as the
// site reports are written.
void WriteMarkerLine(std::uint64_t site, const char* text) {
  char marker[protocol::kMarkerSize];
  protocol::FormatMarker(site, marker);
  char line[512];
  int len = std::snprintf(line, sizeof line, "%.*s %s\n", static_cast<int>(protocol::kMarkerSize),
                          marker, text);
  if (len <= 0 || len >= static_cast<int>(sizeof line)) return;
  while (syscall(SYS_write, ReportFd(), line, static_cast<std::size_t>(len)) < 0 &&
         errno == EINTR) {
  }
}

void WriteStats(const Counters& c, std::uint64_t site) {
  char text[160];
  std::snprintf(text, sizeof text, "timerbisect stats arms=%llu rearms=%llu short=%llu",
                static_cast<unsigned long long>(c.arms.load(std::memory_order_relaxed)),
                static_cast<unsigned long long>(c.rearms.load(std::memory_order_relaxed)),
                static_cast<unsigned long long>(c.shorts.load(std::memory_order_relaxed)));
  WriteMarkerLine(site, text);
}

void WriteOpenTimerFd(int fd, std::uint64_t site) {
  // A raw syscall: the descriptor may have been closed behind the shim's
  // back (a raw close), which this skips (EBADF), as it does a number now
  // reused by something other than a timerfd (EINVAL).
  itimerspec cur;
  if (syscall(SYS_timerfd_gettime, fd, &cur) != 0) return;
  WriteMarkerLine(site, ToNs(cur.it_value) != 0 ? "timerbisect open timerfd armed=1"
                                                : "timerbisect open timerfd armed=0");
}

void WriteOpenPosixTimer(std::uint64_t site, bool armed) {
  WriteMarkerLine(site, armed ? "timerbisect open posix_timer armed=1"
                              : "timerbisect open posix_timer armed=0");
}

// io_uring's timeouts never pass through libc (liburing makes its own
// system calls): the shim cannot see them. A process that holds an
// io_uring descriptor at exit is named, so `sites` can say its waits are
// not covered. Raw system calls over /proc/self/fd: nothing allocates.
void ReportIoUring() {
  int dir = static_cast<int>(
      syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir < 0) return;
  alignas(8) char buf[4096];
  bool found = false;
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n && !found;) {
      auto* entry = reinterpret_cast<struct linux_dirent64_view*>(buf + off);
      char target[64];
      long len = syscall(SYS_readlinkat, dir, entry->name, target, sizeof target - 1);
      if (len > 0) {
        target[len] = '\0';
        found = std::strcmp(target, "anon_inode:[io_uring]") == 0;
      }
      off += entry->reclen;
    }
    if (found) break;
  }
  syscall(SYS_close, dir);
  if (!found) return;
  char line[128];
  int len = std::snprintf(line, sizeof line,
                          TIMERBISECT_IO_URING "pid=%d: its timeouts are not intercepted\n",
                          static_cast<int>(syscall(SYS_getpid)));
  if (len > 0) syscall(SYS_write, ReportFd(), line, static_cast<std::size_t>(len));
}

// Runs in exit() (whichever thread calls it) after the program's own
// destructors and atexit handlers (the preloaded shim was initialized before
// the program, so it is finalized after it), so timers those close are
// already gone. Other threads may still be running: everything read here
// is atomic.
__attribute__((destructor)) void WriteWatchSummary() {
  if (g_state.load(std::memory_order_acquire) != ShimState::kActive || !GetConfig().watch) return;
  // An _Fork child (no fork handler reset its counters): they are its
  // parent's, which reports them itself.
  if (InForeignProcess()) return;
  ShimScope scope;
  for (const Counters& c : g_counters) {
    std::uint64_t site = c.site.load(std::memory_order_acquire);
    if (site != 0) WriteStats(c, site);
  }
  if (g_site_zero_used.load(std::memory_order_relaxed)) WriteStats(g_site_zero, 0);
  ForEachOwnWatchedTimerFd(WriteOpenTimerFd);
  ForEachWatchedPosixTimer(WriteOpenPosixTimer);
  ReportIoUring();
}

}  // namespace

void CountWatched(std::uint64_t site, unsigned events) {
  Counters* c = SlotFor(site);
  if (c == nullptr) return;
  if (events & kWatchArm) c->arms.fetch_add(1, std::memory_order_relaxed);
  if (events & kWatchRearm) c->rearms.fetch_add(1, std::memory_order_relaxed);
  if (events & kWatchShort) c->shorts.fetch_add(1, std::memory_order_relaxed);
}

unsigned SettingEvents(bool armed_before, std::int64_t value_ns, std::int64_t remaining_ns) {
  if (value_ns == 0) return 0;  // a disarm arms nothing
  unsigned events = armed_before ? kWatchRearm : kWatchArm;
  if (IsShort(remaining_ns, GetConfig().short_ns)) events |= kWatchShort;
  return events;
}

void WatchTimedCall(Api api, std::int64_t remaining_ns) {
  {
    ShimScope scope;
    SiteDecision site = DecideSite(api);
    if (site.watched) {
      CountWatched(site.id,
                   kWatchArm | (IsShort(remaining_ns, GetConfig().short_ns) ? kWatchShort : 0));
    }
  }
}

void ResetWatchAfterFork() {
  if (!GetConfig().watch) return;
  // The child is single-threaded here; nothing races with the reset.
  for (Counters& c : g_counters) {
    c.site.store(0, std::memory_order_relaxed);
    c.arms.store(0, std::memory_order_relaxed);
    c.rearms.store(0, std::memory_order_relaxed);
    c.shorts.store(0, std::memory_order_relaxed);
  }
  g_site_zero.arms.store(0, std::memory_order_relaxed);
  g_site_zero.rearms.store(0, std::memory_order_relaxed);
  g_site_zero.shorts.store(0, std::memory_order_relaxed);
  g_site_zero_used.store(false, std::memory_order_relaxed);
  DisownWatchedTimerFds();
}

}  // namespace timerbisect::shim
