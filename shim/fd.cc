// Descriptor bookkeeping: close, dup and friends keep the timerfd table true
// (fd_table.h). Each forgets the target number before the real call, so a
// timerfd created concurrently on the freed number is never forgotten.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>

#include "fd_table.h"
#include "interceptor.h"
#include "own_fds.h"

namespace timerbisect::shim {

TB_REAL(close)
TB_REAL(dup)
TB_REAL(dup2)
TB_REAL(dup3)
TB_REAL(fcntl)
TB_REAL(fcntl64)
TB_REAL(close_range)
TB_REAL(closefrom)

namespace {

// A program's dup2/dup3 targets a number the shim holds: the report file
// moves out of the way; anything else of the shim's is given up.
void TakeOwnFdAway(int fd) {
  if (IsReportFile(fd)) {
    MoveReportFd();
  } else {
    DisownFd(fd);
  }
}

// fcntl's third argument is an int or a pointer; glibc reads it as a
// pointer-sized value and so do we.
int ForwardFcntl(RealFunction<decltype(&::fcntl)>& real, int fd, int cmd, void* arg) {
  if (!ShimActive()) return real(fd, cmd, arg);
  int result = real(fd, cmd, arg);
  if (result >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) CopyFd(fd, result);
  return result;
}
}  // namespace

}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int close(int fd) {
  if (t_in_shim) {
    DisownFd(fd);  // the shim's own machinery closing its own
  } else if (ShimActive()) {
    // Not the program's to close: as if that number were not open.
    if (IsOwnFd(fd)) {
      errno = EBADF;
      return -1;
    }
    ForgetFd(fd);
  }
  return real_close(fd);
}

TB_EXPORT int dup(int fd) {
  int result = real_dup(fd);
  if (result >= 0 && ShimActive()) CopyFd(fd, result);
  return result;
}

// fd2's entry changes only when the call succeeds (CopyFd overwrites it):
// a failed dup2 (EBADF) or dup3 (EINVAL) leaves fd2 open as it was.
TB_EXPORT int dup2(int fd, int fd2) {
  bool active = ShimActive();
  if (active && fd != fd2 && IsOwnFd(fd2)) TakeOwnFdAway(fd2);
  int result = real_dup2(fd, fd2);
  if (result >= 0 && active && fd != fd2) CopyFd(fd, fd2);
  return result;
}

TB_EXPORT int dup3(int fd, int fd2, int flags) {
  bool active = ShimActive();
  if (active && fd != fd2 && IsOwnFd(fd2)) TakeOwnFdAway(fd2);
  int result = real_dup3(fd, fd2, flags);
  if (result >= 0 && active && fd != fd2) CopyFd(fd, fd2);
  return result;
}

TB_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return ForwardFcntl(real_fcntl, fd, cmd, arg);
}

TB_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return ForwardFcntl(real_fcntl64, fd, cmd, arg);
}

TB_EXPORT int close_range(unsigned int first, unsigned int last, int flags) {
  // CLOSE_RANGE_CLOEXEC only marks descriptors; they stay open. A call the
  // kernel refuses (first > last, an unknown flag) closes nothing: its
  // EINVAL comes from the kernel, and the table stays as it is.
  if (!ShimActive() || (flags & CLOSE_RANGE_CLOEXEC) != 0 || first > last ||
      (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) != 0) {
    return real_close_range(first, last, flags);
  }
  ForgetFdRange(first, last);
  // The range closes around the shim's own descriptors, which stay open.
  return CloseRangeAroundOwnFds(first, last, flags, real_close_range.get());
}

// glibc's closefrom calls its internal close_range, which no interposer
// sees: it would close the shim's own descriptors (its report file) and
// give their numbers to the program's next files.
TB_EXPORT void closefrom(int lowfd) {
  if (!ShimActive() || lowfd < 0) return real_closefrom(lowfd);
  auto first = static_cast<unsigned>(lowfd);
  ForgetFdRange(first, ~0U);
  if (CloseRangeAroundOwnFds(first, ~0U, 0, real_close_range.get()) == 0) return;
  // No close_range (Linux before 5.9): one by one, as glibc's fallback does.
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = lowfd; fd < max; ++fd) {
    if (!IsOwnFd(static_cast<int>(fd))) real_close(static_cast<int>(fd));
  }
}
