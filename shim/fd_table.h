// Which descriptors are timerfds the shim created, and their site's mode.
// A fixed array indexed by fd (no allocation, lock-free): descriptors at or
// above kMaxTrackedFd are not tracked and behave natively.
//
// close/dup/dup2/dup3/fcntl(F_DUPFD)/close_range keep it true, so a reused
// descriptor number never inherits a dead timer's mode. A fork child shares
// the table's contents (timerfds are inherited); after exec the new image
// starts empty and inherited timerfds are native. A child no fork handler
// ran in (a vfork child, which shares this table; an _Fork child) changes
// nothing in it.
//
// Watch mode (TIMERSEM=watch) keeps its timerfds here too, as watched
// rather than tracked entries (native semantics), with the creating site's
// ID so timerfd_settime can count for it and the exit report can name it.
#pragma once

#include <cstdint>

#include "config.h"

namespace timerbisect::shim {

inline constexpr int kMaxTrackedFd = 1 << 16;

struct TimerFdEntry {
  bool tracked = false;
  Mode mode = Mode::kNew;
  int clock = 0;         // the clockid the timerfd was created with
  bool watched = false;  // watch mode: native, counted for `site`
  std::uint64_t site = 0;
};

void TrackTimerFd(int fd, Mode mode, int clock);
// Watch mode: records the timerfd for site `site`.
void WatchTimerFd(int fd, std::uint64_t site, int clock);
TimerFdEntry LookupTimerFd(int fd);
void ForgetFd(int fd);
void CopyFd(int from, int to);
void ForgetFdRange(unsigned first, unsigned last);

// Watch mode, in a fork child: the timerfds open so far are the parent's,
// so the child's exit report leaves them out (they still count when used).
void DisownWatchedTimerFds();
// Calls fn(fd, site) for every watched timerfd this process opened and has
// not closed, in fd order.
void ForEachOwnWatchedTimerFd(void (*fn)(int fd, std::uint64_t site));

}  // namespace timerbisect::shim
