#include "own_fds.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <utility>

namespace timerbisect::shim {
namespace {

// A handful: the report file (and its reopened copy), with room to spare. -1 marks a free slot.
// Lock-free: adopted and disowned under the reentrancy guard, read by any thread's close.
constexpr int kSlots = 8;
std::atomic<int> g_own[kSlots] = {-1, -1, -1, -1, -1, -1, -1, -1};

}  // namespace

int AdoptOwnFd(int fd) {
  int moved = fd;
  if (fd < kOwnFdFloor) {
    int high = static_cast<int>(syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, kOwnFdFloor));
    if (high >= 0) {
      syscall(SYS_close, fd);
      moved = high;
    }
  }
  for (auto& slot : g_own) {
    int expected = -1;
    if (slot.compare_exchange_strong(expected, moved)) break;
  }
  return moved;
}

bool IsOwnFd(int fd) {
  if (fd < kOwnFdFloor) return false;  // the common case: one compare
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
