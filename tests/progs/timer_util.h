// Helpers shared by the test programs: a busy wait the shim cannot stretch,
// and arming a timerfd relative to now.
#pragma once

#include <sys/timerfd.h>
#include <time.h>

// Busy-waits `ns` nanoseconds on CLOCK_MONOTONIC (no sleep call: the shim
// must not change how long this takes).
static inline void SpinNs(long ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

// Arms (ns > 0) or disarms (ns == 0) a timerfd, one-shot, relative.
static inline int Arm(int fd, long ns) {
  struct itimerspec v = {{0, 0}, {ns / 1000000000L, ns % 1000000000L}};
  return timerfd_settime(fd, 0, &v, NULL);
}
