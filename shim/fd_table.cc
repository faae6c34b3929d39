#include "fd_table.h"

#include <atomic>

namespace timerbisect::shim {
namespace {

// 0: not a tracked timerfd; otherwise bit 0 set, bit 1 the mode, bits 8-15
// the clockid.
std::atomic<std::uint16_t> g_fds[kMaxTrackedFd];

bool InRange(int fd) {
  return fd >= 0 && fd < kMaxTrackedFd;
}

}  // namespace

void TrackTimerFd(int fd, Mode mode, int clock) {
  if (!InRange(fd)) return;
  auto v = static_cast<std::uint16_t>(1u | (static_cast<unsigned>(mode) << 1) |
                                      (static_cast<unsigned>(clock & 0xff) << 8));
  g_fds[fd].store(v, std::memory_order_release);
}

TimerFdEntry LookupTimerFd(int fd) {
  if (!InRange(fd)) return {};
  std::uint16_t v = g_fds[fd].load(std::memory_order_acquire);
  if (v == 0) return {};
  return {true, static_cast<Mode>((v >> 1) & 1), v >> 8};
}

void ForgetFd(int fd) {
  if (InRange(fd)) g_fds[fd].store(0, std::memory_order_release);
}

void CopyFd(int from, int to) {
  if (!InRange(to)) return;
  std::uint16_t v = InRange(from) ? g_fds[from].load(std::memory_order_acquire) : 0;
  g_fds[to].store(v, std::memory_order_release);
}

void ForgetFdRange(unsigned first, unsigned last) {
  for (unsigned fd = first; fd <= last && fd < static_cast<unsigned>(kMaxTrackedFd); ++fd) {
    g_fds[fd].store(0, std::memory_order_relaxed);
  }
}

}  // namespace timerbisect::shim
