// Helpers shared by the test programs: a busy wait the shim cannot stretch,
// arming a timerfd relative to now, and arming ITIMER_REAL unseen.
#pragma once

#include <dlfcn.h>
#include <sys/syscall.h>
#include <sys/time.h>
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

// setitimer(ITIMER_REAL) behind the shim's back: libc's own syscall(), found
// in libc itself, which the shim's syscall() interceptor (it routes
// SYS_setitimer through its setitimer) never sees.
static inline int RawSetitimer(const struct itimerval* value) {
  static long (*libc_syscall)(long, ...);
  if (libc_syscall == 0) {
    void* libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY);
    libc_syscall = (long (*)(long, ...))dlsym(libc, "syscall");
  }
  return (int)libc_syscall(SYS_setitimer, ITIMER_REAL, value, (struct itimerval*)0);
}
