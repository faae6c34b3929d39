// A shared library whose function creates a timer: site IDs must not depend
// on where the library is loaded.
#include <sys/timerfd.h>
#include <time.h>

__attribute__((noinline)) int sitelib_make_timer(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  __asm__ volatile("" ::: "memory");  // keep the call from being a tail call
  return fd;
}
