// Descriptors the shim holds itself: its report file. A program that
// closes every descriptor at start (close_range(3, ~0U), closefrom, a loop
// over /proc/self/fd) must not take it: its next open would get the
// number, and the shim would write reports into the program's own file. They live high (at or above
// kOwnFdFloor, close-on-exec), and close/close_range leave them alone.
#pragma once

namespace timerbisect::shim {

inline constexpr int kOwnFdFloor = 512;

// Moves `fd` to a number at or above kOwnFdFloor (close-on-exec) and records
// it; returns the new number, or `fd` if it could not move.
int AdoptOwnFd(int fd);
bool IsOwnFd(int fd);
void DisownFd(int fd);

// close_range over [first, last] minus the shim's own descriptors, through
// `close_range_fn` (the real one). Returns its result (the first failure).
int CloseRangeAroundOwnFds(unsigned first, unsigned last, int flags,
                           int (*close_range_fn)(unsigned, unsigned, int));

}  // namespace timerbisect::shim
