// Which descriptors are timerfds the shim created, and their site's mode.
// A fixed array indexed by fd (no allocation, lock-free): descriptors at or
// above kMaxTrackedFd are not tracked and behave natively.
//
// close/dup/dup2/dup3/fcntl(F_DUPFD)/close_range keep it true, so a reused
// descriptor number never inherits a dead timer's mode. A fork child shares
// the table's contents (timerfds are inherited); after exec the new image
// starts empty and inherited timerfds are native.
#pragma once

#include <cstdint>

#include "config.h"

namespace timerbisect::shim {

inline constexpr int kMaxTrackedFd = 1 << 16;

struct TimerFdEntry {
  bool tracked = false;
  Mode mode = Mode::kNew;
  int clock = 0;  // the clockid the timerfd was created with
};

void TrackTimerFd(int fd, Mode mode, int clock);
TimerFdEntry LookupTimerFd(int fd);
void ForgetFd(int fd);
void CopyFd(int from, int to);
void ForgetFdRange(unsigned first, unsigned last);

}  // namespace timerbisect::shim
