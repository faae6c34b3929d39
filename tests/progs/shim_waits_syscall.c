// Timer system calls made through syscall(2) rather than their libc
// wrappers, one per argv[1]; each a 10 us wait that nothing ends early.
//   nanosleep clock_nanosleep ppoll epoll_wait epoll_pwait
//                      -> "ret N", "elapsed_ns N"
//   timerfd_settime    a timerfd armed for 10 us through the raw call: is
//                      it readable right after?   -> "ret N", "now 0|1"
//   setitimer          ITIMER_REAL armed for 10 us through the raw call,
//                      SIGALRM blocked: pending right after? -> "ret N", "now 0|1"
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static long NowNs(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "";
  struct timespec ten_us = {0, 10000};
  long start = NowNs();
  long ret = -100;
  if (strcmp(what, "nanosleep") == 0) {
    ret = syscall(SYS_nanosleep, &ten_us, NULL);
  } else if (strcmp(what, "clock_nanosleep") == 0) {
    ret = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ten_us, NULL);
  } else if (strcmp(what, "ppoll") == 0) {
    ret = syscall(SYS_ppoll, NULL, 0, &ten_us, NULL, 8);
  } else if (strcmp(what, "epoll_wait") == 0 || strcmp(what, "epoll_pwait") == 0) {
    // Millisecond timeouts: 1 ms is the shortest, so the test sets
    // TIMERSEM_SHORT above it.
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev;
    ret = strcmp(what, "epoll_wait") == 0 ? syscall(SYS_epoll_wait, ep, &ev, 1, 1)
                                          : syscall(SYS_epoll_pwait, ep, &ev, 1, 1, NULL, 8);
  } else if (strcmp(what, "timerfd_settime") == 0) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec v = {{0, 0}, {0, 10000}};
    ret = syscall(SYS_timerfd_settime, fd, 0, &v, NULL);
    struct pollfd p = {fd, POLLIN, 0};
    printf("now %d\n", poll(&p, 1, 0) == 1);
  } else if (strcmp(what, "setitimer") == 0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct itimerval v = {{0, 0}, {0, 10}};
    ret = syscall(SYS_setitimer, ITIMER_REAL, &v, NULL);
    sigset_t pending;
    sigpending(&pending);
    printf("now %d\n", sigismember(&pending, SIGALRM));
  } else {
    fprintf(stderr, "unknown %s\n", what);
    return 100;
  }
  printf("ret %ld\nelapsed_ns %ld\n", ret, NowNs() - start);
  return 0;
}
