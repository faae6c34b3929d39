// A program that defines libuv's and libevent's timer calls itself, as one
// linked against libuv.a and libevent.a does: the driver must say that the
// shim cannot make those timers sites (run::FindLinkedInLoops). The stubs
// stand in for the libraries' code; main never calls them.
#include <time.h>

__attribute__((noinline, used)) int uv_timer_start(void* handle, void* cb, unsigned long timeout,
                                                   unsigned long repeat) {
  (void)handle, (void)cb, (void)repeat;
  return (int)timeout;
}

__attribute__((noinline, used)) int event_base_loop(void* base, int flags) {
  (void)base;
  return flags;
}

int main(void) {
  struct timespec tick = {0, 1000};
  return nanosleep(&tick, NULL);
}
