// timerfd behaviours, one per argument; each prints "key value" lines.
//   rearm   arm 1 ms, let it expire, re-arm for 10 s: is the old expiration
//           still readable?                       -> "stale 0|1", "ticks N"
//   disarm  same, but disarm instead of re-arming  -> "stale 0|1"
//   duesoon arm 300 us, re-arm at once for 10 s (nothing expired yet):
//           old counts an expiration due within the lag as fired -> "stale 0|1"
//   short   arm 10 us relative: readable right after the call? and after
//           200 us?                                -> "now 0|1", "at200us 0|1"
//   reuse   close the shim's timerfd; a timerfd made by a raw syscall reuses
//           its number and must be native         -> "samefd 1", "stale 0|1"
//   dup2over dup2 an unseen timerfd over the shim's one -> "stale 0|1"
//   dup     a dup of the shim's timerfd keeps its mode  -> "stale 0|1"
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int Readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

// A busy loop on clock_gettime: the shim must not stretch this wait.
static void SleepNs(long ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

static int Arm(int fd, long ns) {
  struct itimerspec v = {{0, 0}, {ns / 1000000000L, ns % 1000000000L}};
  return timerfd_settime(fd, 0, &v, NULL);
}

// Arms for 1 ms, lets it expire, re-arms for 10 s: is the old expiration
// still readable?
static int StaleAfterRearm(int fd) {
  if (Arm(fd, 1000000) != 0) return -1;
  SleepNs(20000000);
  if (Arm(fd, 10000000000L) != 0) return -1;
  return Readable(fd);
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "rearm";
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return perror("timerfd_create"), 2;
  if (strcmp(what, "rearm") == 0 || strcmp(what, "disarm") == 0) {
    if (Arm(fd, 1000000) != 0) return perror("timerfd_settime"), 2;
    SleepNs(20000000);
    if (Arm(fd, strcmp(what, "rearm") == 0 ? 10000000000L : 0) != 0) return 2;
    uint64_t ticks = 0;
    ssize_t n = read(fd, &ticks, sizeof ticks);
    printf("stale %d\nticks %llu\n", n == (ssize_t)sizeof ticks, (unsigned long long)ticks);
  } else if (strcmp(what, "duesoon") == 0) {
    if (Arm(fd, 300000) != 0) return 2;
    if (Arm(fd, 10000000000L) != 0) return 2;
    printf("stale %d\n", Readable(fd));
  } else if (strcmp(what, "short") == 0) {
    if (Arm(fd, 10000) != 0) return 2;
    int now = Readable(fd);
    SleepNs(200000);
    printf("now %d\nat200us %d\n", now, Readable(fd));
  } else if (strcmp(what, "reuse") == 0) {
    // The shim's timerfd dies; a timerfd the shim never saw (raw syscall)
    // gets its number and must behave natively, not as the dead one.
    int number = fd;
    close(fd);
    int raw = (int)syscall(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_NONBLOCK);
    printf("samefd %d\n", raw == number);
    printf("stale %d\n", StaleAfterRearm(raw));
  } else if (strcmp(what, "dup2over") == 0) {
    int raw = (int)syscall(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (dup2(raw, fd) != fd) return 2;
    printf("stale %d\n", StaleAfterRearm(fd));
  } else if (strcmp(what, "dup") == 0) {
    // A duplicate is the same timer: it keeps the site's mode.
    int copy = dup(fd);
    close(fd);
    printf("stale %d\n", StaleAfterRearm(copy));
  } else {
    fprintf(stderr, "unknown behaviour %s\n", what);
    return 2;
  }
  return 0;
}
