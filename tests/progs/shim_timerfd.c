// timerfd behaviours, one per argument; each prints "key value" lines.
//   rearm   arm 1 ms, let it expire, re-arm for 10 s: is the old expiration
//           still readable?                       -> "stale 0|1", "ticks N"
//   disarm  same, but disarm instead of re-arming  -> "stale 0|1"
//   duesoon arm 300 us, re-arm at once for 10 s (nothing expired yet):
//           old counts an expiration due within the lag as fired -> "stale 0|1"
//   short   arm 10 us relative: readable right after the call? and after
//           200 us?                                -> "now 0|1", "at200us 0|1",
//           "window_ns" (from before the call to the second look)
//   reuse   close the shim's timerfd; a timerfd made by a raw syscall reuses
//           its number and must be native         -> "samefd 1", "stale 0|1"
//   dup2over dup2 an unseen timerfd over the shim's one -> "stale 0|1"
//   dup     a dup of the shim's timerfd keeps its mode  -> "stale 0|1"
//   dupfail a dup2 (EBADF) and a dup3 (EINVAL) onto the shim's timerfd
//           fail: it keeps its mode -> "dup2_ebadf 1", "dup3_einval 1", "stale"
//   rawclose_reuse  a timerfd made in MakeScopedTimerfd is closed by a raw
//           close; a timerfd made in main (outside TIMERSEM_SCOPE=
//           MakeScopedTimerfd) gets its number and must be native
//                                           -> "samefd 1", "stale 0|1"
//   invalid settime with a negative second, a negative and a too large
//           nanosecond: EINVAL as natively, not a timer armed for the lag
//                                           -> "einval N" (of 3)
//   close_range_bad  close_range(10, 5, 0) -> "einval 0|1"
//   never   arm {LONG_MAX, 0} relative, then absolute; look after 20 ms
//           each: fired?                         -> "fired_rel 0|1",
//           "fired_abs 0|1"
//   early_rel, early_abs  arm 500 ms (relative; absolute deadline), look
//           after 50 ms: fired before its time?  -> "looked_in_time 0|1",
//           "fired 0|1" (run with TIMERSEM_SHORT above 500 ms)
//   stop_race  20 times: arm 500 us, disarm at once with old_value, wait
//           2 ms, read: a disarm that said "pending" must not be followed
//           by an expiry          -> "said_pending_got_value N", "got_value N"
//   stop_after_fire  6 times: arm 1 ms, let it fire, disarm (even rounds)
//           or re-arm for 10 s (odd rounds) with old_value, read: a call
//           that said "already fired" must leave the value readable (Go
//           1.23: `if !t.Stop() { <-t.C }` never hangs)
//                                   -> "said_fired_got_nothing N", same keys
//   periodic_duesoon  arm 300 us then every 10 ms, disarm at once with
//           old_value: readable? and the old_value's it_value
//                                 -> "stale 0|1", "old_value_ns N"
//   rearm_past  arm 1 ms, let it fire (one tick pending), re-arm to an
//           absolute deadline already past: how many expirations?  -> "ticks N"
//   cancel_on_set  CLOCK_REALTIME timerfd armed short with TFD_TIMER_ABSTIME
//           | TFD_TIMER_CANCEL_ON_SET: the flags the kernel recorded
//           (/proc/self/fdinfo "settime flags")  -> "settime_flags N"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

static long NowNs(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

static struct timespec Ts(long ns) {
  struct timespec t = {ns / 1000000000L, ns % 1000000000L};
  return t;
}

// Arms 500 ms (relative or absolute) and looks after 50 ms: has it fired?
// Only a look within the 500 ms says anything.
static int Early(int fd, int absolute) {
  const long request = 500000000L;
  long start = NowNs(CLOCK_MONOTONIC);
  struct itimerspec v = {{0, 0}, Ts(absolute ? start + request : request)};
  if (timerfd_settime(fd, absolute ? TFD_TIMER_ABSTIME : 0, &v, NULL) != 0) return 2;
  SleepNs(50000000);
  int fired = Readable(fd);
  printf("looked_in_time %d\nfired %d\n", NowNs(CLOCK_MONOTONIC) - start < request, fired);
  return 0;
}

// Go's `stopped := t.Stop()` then a look at t.C, `rounds` times: arm for
// `arm_ns`, wait `before_ns`, disarm or re-arm for 10 s with old_value,
// wait 2 ms, then read without blocking. Counts the answers that disagree
// with what was readable.
static int StopAndLook(int fd, long arm_ns, long before_ns, int rounds, int rearm_odd) {
  int said_pending_got_value = 0, said_fired_got_nothing = 0, got_value = 0;
  for (int i = 0; i < rounds; ++i) {
    if (Arm(fd, arm_ns) != 0) return 2;
    if (before_ns > 0) SleepNs(before_ns);
    struct itimerspec next = {{0, 0}, Ts(rearm_odd && i % 2 == 1 ? 10000000000L : 0)};
    struct itimerspec old;
    if (timerfd_settime(fd, 0, &next, &old) != 0) return 2;
    int pending = old.it_value.tv_sec != 0 || old.it_value.tv_nsec != 0;
    SleepNs(2000000);
    uint64_t ticks = 0;
    int value = read(fd, &ticks, sizeof ticks) == (ssize_t)sizeof ticks;
    got_value += value;
    said_pending_got_value += pending && value;
    said_fired_got_nothing += !pending && !value;
    if (Arm(fd, 0) != 0) return 2;
  }
  printf("said_pending_got_value %d\nsaid_fired_got_nothing %d\ngot_value %d\n",
         said_pending_got_value, said_fired_got_nothing, got_value);
  return 0;
}

// The flags the kernel recorded for the last timerfd_settime, from
// /proc/self/fdinfo ("settime flags: 03", octal); -1 if not shown.
static int SettimeFlags(int fd) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int info = open(path, O_RDONLY | O_CLOEXEC);
  if (info < 0) return -1;
  ssize_t n = read(info, buf, sizeof buf - 1);
  close(info);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char* at = strstr(buf, "settime flags:");
  return at == NULL ? -1 : (int)strtol(at + strlen("settime flags:"), NULL, 8);
}

__attribute__((noinline)) static int MakeScopedTimerfd(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  __asm__ volatile("" ::: "memory");  // no tail call: keep this frame on the stack
  return fd;
}

// How many of three invalid settings fail with EINVAL.
static int InvalidSettingsRefused(int fd) {
  struct itimerspec bad[3] = {{{0, 0}, {-1, 0}}, {{0, 0}, {0, -1}}, {{0, 0}, {0, 1000000000}}};
  int refused = 0;
  for (int i = 0; i < 3; ++i) {
    errno = 0;
    refused += timerfd_settime(fd, 0, &bad[i], NULL) == -1 && errno == EINVAL;
  }
  return refused;
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
    long start = NowNs(CLOCK_MONOTONIC);
    if (Arm(fd, 10000) != 0) return 2;
    int now = Readable(fd);
    SleepNs(200000);
    int at200us = Readable(fd);
    printf("now %d\nat200us %d\nwindow_ns %ld\n", now, at200us, NowNs(CLOCK_MONOTONIC) - start);
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
  } else if (strcmp(what, "dupfail") == 0) {
    int other = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    errno = 0;
    printf("dup2_ebadf %d\n", dup2(999, fd) == -1 && errno == EBADF);
    errno = 0;
    printf("dup3_einval %d\n", dup3(other, fd, 0x1234) == -1 && errno == EINVAL);
    printf("stale %d\n", StaleAfterRearm(fd));
  } else if (strcmp(what, "rawclose_reuse") == 0) {
    int scoped = MakeScopedTimerfd();
    syscall(SYS_close, scoped);
    int unscoped = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    printf("samefd %d\n", unscoped == scoped);
    printf("stale %d\n", StaleAfterRearm(unscoped));
  } else if (strcmp(what, "invalid") == 0) {
    printf("einval %d\n", InvalidSettingsRefused(fd));
  } else if (strcmp(what, "never") == 0) {
    struct itimerspec never = {{0, 0}, {LONG_MAX, 0}};
    if (timerfd_settime(fd, 0, &never, NULL) != 0) return 2;
    SleepNs(20000000);
    printf("fired_rel %d\n", Readable(fd));
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &never, NULL) != 0) return 2;
    SleepNs(20000000);
    printf("fired_abs %d\n", Readable(fd));
  } else if (strcmp(what, "close_range_bad") == 0) {
    errno = 0;
    printf("einval %d\n", close_range(10, 5, 0) == -1 && errno == EINVAL);
  } else if (strcmp(what, "early_rel") == 0 || strcmp(what, "early_abs") == 0) {
    return Early(fd, strcmp(what, "early_abs") == 0);
  } else if (strcmp(what, "stop_race") == 0) {
    return StopAndLook(fd, 500000, 0, 20, 0);
  } else if (strcmp(what, "stop_after_fire") == 0) {
    return StopAndLook(fd, 1000000, 5000000, 6, 1);
  } else if (strcmp(what, "periodic_duesoon") == 0) {
    struct itimerspec v = {{0, 10000000}, {0, 300000}}, zero = {{0, 0}, {0, 0}}, old;
    if (timerfd_settime(fd, 0, &v, NULL) != 0 || timerfd_settime(fd, 0, &zero, &old) != 0) {
      return 2;
    }
    printf("stale %d\nold_value_ns %ld\n", Readable(fd),
           old.it_value.tv_sec * 1000000000L + old.it_value.tv_nsec);
  } else if (strcmp(what, "rearm_past") == 0) {
    if (Arm(fd, 1000000) != 0) return 2;
    SleepNs(20000000);
    struct itimerspec past = {{0, 0}, {0, 1}};  // CLOCK_MONOTONIC's 1 ns: long past
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &past, NULL) != 0) return 2;
    uint64_t ticks = 0;
    if (read(fd, &ticks, sizeof ticks) != (ssize_t)sizeof ticks) ticks = 0;
    printf("ticks %llu\n", (unsigned long long)ticks);
  } else if (strcmp(what, "cancel_on_set") == 0) {
    int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (rt < 0) return 2;
    struct itimerspec v = {{0, 0}, Ts(NowNs(CLOCK_REALTIME) + 10000)};
    if (timerfd_settime(rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &v, NULL) != 0) {
      return perror("timerfd_settime"), 2;
    }
    printf("settime_flags %d\n", SettimeFlags(rt));
  } else {
    fprintf(stderr, "unknown behaviour %s\n", what);
    return 2;
  }
  return 0;
}
