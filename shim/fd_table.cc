#include "fd_table.h"

#include <atomic>

#include "state.h"

namespace timerbisect::shim {
namespace {

// 0: not a timerfd the shim knows; otherwise bit 0 set for a tracked one,
// bit 1 the mode, bit 2 set for a watched one, bit 3 "inherited from the
// parent" (watch mode), bits 8-15 the clockid.
constexpr std::uint16_t kTracked = 1u << 0;
constexpr std::uint16_t kWatched = 1u << 2;
constexpr std::uint16_t kInherited = 1u << 3;
std::atomic<std::uint16_t> g_fds[kMaxTrackedFd];
// The creating site of a watched timerfd; written before its g_fds entry is
// published, read only when that entry says watched.
std::atomic<std::uint64_t> g_sites[kMaxTrackedFd];

bool InRange(int fd) {
  return fd >= 0 && fd < kMaxTrackedFd;
}

}  // namespace

void TrackTimerFd(int fd, Mode mode, int clock) {
  if (!InRange(fd) || InForeignProcess()) return;
  auto v = static_cast<std::uint16_t>(kTracked | (static_cast<unsigned>(mode) << 1) |
                                      (static_cast<unsigned>(clock & 0xff) << 8));
  g_fds[fd].store(v, std::memory_order_release);
}

void WatchTimerFd(int fd, std::uint64_t site, int clock) {
  if (!InRange(fd) || InForeignProcess()) return;
  g_sites[fd].store(site, std::memory_order_relaxed);
  auto v = static_cast<std::uint16_t>(kWatched | (static_cast<unsigned>(clock & 0xff) << 8));
  g_fds[fd].store(v, std::memory_order_release);
}

TimerFdEntry LookupTimerFd(int fd) {
  if (!InRange(fd)) return {};
  std::uint16_t v = g_fds[fd].load(std::memory_order_acquire);
  if (v == 0) return {};
  if (v & kWatched) {
    return {false, Mode::kNew, v >> 8, true, g_sites[fd].load(std::memory_order_relaxed)};
  }
  return {true, static_cast<Mode>((v >> 1) & 1), v >> 8};
}

void ForgetFd(int fd) {
  if (!InRange(fd) || g_fds[fd].load(std::memory_order_acquire) == 0) return;
  if (InForeignProcess()) return;  // a vfork child's close: the table is its parent's
  g_fds[fd].store(0, std::memory_order_release);
}

void CopyFd(int from, int to) {
  if (!InRange(to)) return;
  std::uint16_t v = InRange(from) ? g_fds[from].load(std::memory_order_acquire) : 0;
  if (v == 0 && g_fds[to].load(std::memory_order_acquire) == 0) return;
  if (InForeignProcess()) return;
  if (v & kWatched) g_sites[to].store(g_sites[from].load(std::memory_order_relaxed));
  g_fds[to].store(v, std::memory_order_release);
}

void ForgetFdRange(unsigned first, unsigned last) {
  bool any = false;
  for (unsigned fd = first; fd <= last && fd < static_cast<unsigned>(kMaxTrackedFd) && !any; ++fd) {
    any = g_fds[fd].load(std::memory_order_relaxed) != 0;
  }
  if (!any || InForeignProcess()) return;
  for (unsigned fd = first; fd <= last && fd < static_cast<unsigned>(kMaxTrackedFd); ++fd) {
    g_fds[fd].store(0, std::memory_order_relaxed);
  }
}

void DisownWatchedTimerFds() {
  for (auto& entry : g_fds) {
    std::uint16_t v = entry.load(std::memory_order_relaxed);
    if (v & kWatched) entry.store(v | kInherited, std::memory_order_relaxed);
  }
}

void ForEachOwnWatchedTimerFd(void (*fn)(int fd, std::uint64_t site)) {
  for (int fd = 0; fd < kMaxTrackedFd; ++fd) {
    std::uint16_t v = g_fds[fd].load(std::memory_order_acquire);
    if ((v & kWatched) && !(v & kInherited)) fn(fd, g_sites[fd].load(std::memory_order_relaxed));
  }
}

}  // namespace timerbisect::shim
