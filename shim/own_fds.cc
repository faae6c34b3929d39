#include "own_fds.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <optional>
#include <utility>

#include "proc_number.h"

namespace timerbisect::shim {
namespace {

// A handful: the report file (and its reopened copy), with room to spare. -1 marks a free slot.
// Lock-free: adopted and disowned under the reentrancy guard, read by any thread's close.
constexpr int kSlots = 8;
std::atomic<int> g_own[kSlots] = {-1, -1, -1, -1, -1, -1, -1, -1};
// The lowest number ever adopted: below it no descriptor is the shim's.
std::atomic<int> g_lowest{INT_MAX};

// How far below the table's top a free number is looked for.
constexpr int kSearchBelowTop = 32;

// The size of the process's descriptor table now: FDSize in
// /proc/self/status, or 64 (the kernel's first table, which no process has
// less of) when it cannot be read. Reachable from a signal handler (a
// close or dup2 of the shim's number): ProcNumber is safe there.
int TableSize() {
  std::optional<std::uint64_t> size = ProcNumber("/proc/self/status", "\nFDSize:");
  return size && *size >= 64 && *size <= (1u << 24) ? static_cast<int>(*size) : 64;
}

// A free number near the top of the table, or -1 (only numbers within it:
// the table does not grow). `fd` itself, being open, is never one.
int FreeNumberNearTop() {
  const int top = TableSize() - 1;
  for (int k = top; k >= 3 && k > top - kSearchBelowTop; --k) {
    if (syscall(SYS_fcntl, k, F_GETFD) == -1 && errno == EBADF) return k;
  }
  return -1;
}

}  // namespace

int AdoptOwnFd(int fd) {
  const int saved_errno = errno;
  int moved = fd;
  const int target = FreeNumberNearTop();
  // From the target up: the lowest free number there, which is the target
  // unless another thread took it meanwhile.
  const int from = target > fd ? target : target < 0 ? kOwnFdFallback : -1;
  if (from > fd) {
    int high = static_cast<int>(syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, from));
    if (high >= 0) {
      syscall(SYS_close, fd);
      moved = high;
    }
  }
  for (auto& slot : g_own) {
    int expected = -1;
    if (slot.compare_exchange_strong(expected, moved)) break;
  }
  for (int lowest = g_lowest.load(std::memory_order_relaxed);
       moved < lowest && !g_lowest.compare_exchange_weak(lowest, moved);) {
  }
  errno = saved_errno;
  return moved;
}

bool IsOwnFd(int fd) {
  // The common case: one compare.
  if (fd < g_lowest.load(std::memory_order_relaxed)) return false;
  for (const auto& slot : g_own) {
    if (slot.load(std::memory_order_acquire) == fd) return true;
  }
  return false;
}

void DisownFd(int fd) {
  for (auto& slot : g_own) {
    int expected = fd;
    slot.compare_exchange_strong(expected, -1);
  }
}

int CloseRangeAroundOwnFds(unsigned first, unsigned last, int flags,
                           int (*close_range_fn)(unsigned, unsigned, int)) {
  int own[kSlots];
  int n = 0;
  for (const auto& slot : g_own) {
    int fd = slot.load(std::memory_order_acquire);
    if (fd >= 0 && static_cast<unsigned>(fd) >= first && static_cast<unsigned>(fd) <= last) {
      own[n++] = fd;
    }
  }
  // Insertion sort: at most kSlots numbers (std::sort trips g++ 12's
  // -Warray-bounds on an array this small).
  for (int i = 1; i < n; ++i) {
    for (int j = i; j > 0 && own[j - 1] > own[j]; --j) std::swap(own[j - 1], own[j]);
  }
  int result = 0;
  unsigned from = first;
  for (int i = 0; i <= n; ++i) {
    // The stretch before own[i] (or, after the last one, up to `last`).
    unsigned to = i < n ? static_cast<unsigned>(own[i]) : last;
    bool has_stretch = i < n ? to > from : from <= last;
    if (has_stretch) {
      int r = close_range_fn(from, i < n ? to - 1 : to, flags);
      if (result == 0) result = r;
    }
    if (i < n) {
      if (static_cast<unsigned>(own[i]) == last) break;
      from = static_cast<unsigned>(own[i]) + 1;
    }
  }
  return result;
}

}  // namespace timerbisect::shim
