// Descriptors the shim holds itself: its report file. A program that
// closes every descriptor at start (close_range(3, ~0U), closefrom, a loop
// over /proc/self/fd) must not take it: its next open would get the
// number, and the shim would write reports into the program's own file.
// They live high, close-on-exec, and close/close_range leave them alone.
//
// High, but inside the descriptor table the process has (the top free
// number below /proc/self/status's FDSize, 64 for a fresh process): a
// number past its end grows the table, and select() then fails with EBADF
// on a closed descriptor the kernel ignored natively, past the table's
// old end (it stopped there). With no free number near the top, they go
// to kOwnFdFallback or above.
#pragma once

namespace timerbisect::shim {

inline constexpr int kOwnFdFallback = 512;

// Moves `fd` near the top of the descriptor table (close-on-exec) and
// records it; returns the new number, or `fd` if it could not move.
int AdoptOwnFd(int fd);
bool IsOwnFd(int fd);
void DisownFd(int fd);

// close_range over [first, last] minus the shim's own descriptors, through
// `close_range_fn` (the real one). Returns its result (the first failure).
int CloseRangeAroundOwnFds(unsigned first, unsigned last, int flags,
                           int (*close_range_fn)(unsigned, unsigned, int));

}  // namespace timerbisect::shim
