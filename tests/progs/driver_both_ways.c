// Passes natively, fails with every timer old and with every timer new:
// one timer fails it under old, another under new. (A runner that runs an
// old-sensitive test and a new-sensitive one was called "not
// timer-sensitive" by bisect and triage alike.)
//   StaleTimer: armed 1 ms, expired unread, re-armed for 10 s. Old keeps
//   the stale expiration readable: "FAIL stale".
//   StopTimer: the same, re-armed with old_value. New says an expiration
//   the program never read is still pending (Go 1.23's Stop returning
//   true): "FAIL pending". Natively it says the timer had expired.
#include <stdint.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int ExpireUnread(int fd) {
  struct itimerspec soon = {{0, 0}, {0, 1000000}};
  if (timerfd_settime(fd, 0, &soon, NULL) != 0) return -1;
  struct timespec wait = {0, 20000000};
  nanosleep(&wait, NULL);
  return 0;
}

__attribute__((noinline)) static int StaleTimer(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0 || ExpireUnread(fd) != 0) return -1;
  struct itimerspec later = {{0, 0}, {10, 0}};
  timerfd_settime(fd, 0, &later, NULL);
  uint64_t ticks = 0;
  int stale = read(fd, &ticks, sizeof ticks) == (ssize_t)sizeof ticks;
  close(fd);
  return stale;
}

__attribute__((noinline)) static int StopTimer(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0 || ExpireUnread(fd) != 0) return -1;
  struct itimerspec later = {{0, 0}, {10, 0}}, old;
  timerfd_settime(fd, 0, &later, &old);
  close(fd);
  return old.it_value.tv_sec != 0 || old.it_value.tv_nsec != 0;
}

int main(void) {
  int stale = StaleTimer();
  int pending = StopTimer();
  if (stale) printf("FAIL stale\n");
  if (pending) printf("FAIL pending\n");
  if (!stale && !pending) printf("ok\n");
  return stale || pending;
}
