// Built twice, as libshim_unload_a.so and libshim_unload_b.so: the same
// code at the same offsets in two files with different names, so that one
// loaded where the other was unloaded has the same raw return addresses
// but is another site. Each copy's static helper has a name of its own
// (UNLOADLIB_HELPER, of one length), which only the full symbol table holds:
// it changes no offset.
#include <sys/timerfd.h>

__attribute__((noinline)) static int UNLOADLIB_HELPER(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  __asm__ volatile("" ::: "memory");
  return fd;
}

__attribute__((noinline)) int unloadlib_make_timer(void) {
  int fd = UNLOADLIB_HELPER();
  __asm__ volatile("" ::: "memory");
  return fd;
}
