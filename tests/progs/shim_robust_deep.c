// A timer site at the bottom of a very deep stack: argv[1] frames of
// recursion (10000 in the test), then a timerfd re-armed after it expired.
// The shim hashes only TIMERSEM_DEPTH frames; walking must neither crash
// nor wander off the stack. Prints "stale 0|1", "depth N", "done 1".
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "timer_util.h"

static int StaleAtTheBottom(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  if (fd < 0) return -1;
  if (Arm(fd, 1000000) != 0) return -1;
  SpinNs(20000000);
  if (Arm(fd, 10000000000L) != 0) return -1;
  struct pollfd p = {fd, POLLIN, 0};
  int stale = poll(&p, 1, 0) == 1;
  close(fd);
  return stale;
}

// Not a tail call (the addition after it), so every level keeps its frame.
__attribute__((noinline)) static int Recurse(int levels, volatile int* sink) {
  if (levels == 0) return StaleAtTheBottom();
  int r = Recurse(levels - 1, sink);
  *sink += 1;
  return r;
}

int main(int argc, char** argv) {
  int levels = argc > 1 ? atoi(argv[1]) : 10000;
  volatile int sink = 0;
  int stale = Recurse(levels, &sink);
  if (stale < 0) return 2;
  printf("stale %d\ndepth %d\ndone 1\n", stale, sink);
  return 0;
}
