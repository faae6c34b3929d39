// Interval-timer behaviours (setitimer ITIMER_REAL, alarm, ualarm), one per
// argument; each prints "key value" lines. SIGALRM is blocked throughout, so
// "arrives" means sigtimedwait (zero timeout) dequeues it. The first arming
// is a raw syscall, so the call under test is the program's only site.
//   setitimer_rearm   arm 1 ms, let it expire, setitimer 10 s: does the
//                     old SIGALRM arrive?       -> "pending 1", "stale 0|1", "code"
//   setitimer_disarm  same, setitimer to zero
//   alarm_rearm       same, alarm(10)            (+ "prev": alarm's return)
//   alarm_disarm      same, alarm(0)
//   ualarm_disarm     same, ualarm(0, 0)
//   foreign           kill(2) a SIGALRM to ourselves, then disarm: it is not
//                     the timer's, so it arrives in every mode -> "stale 1", "code 0"
//   failed            arm 1 ms, expire, setitimer with tv_usec out of range:
//                     the call fails and changes nothing -> "errno", "stale 1"
//   prev              alarm(5) then alarm(0): the previous remaining seconds
//                     -> "prev_alarm"; ualarm(700000, 0) then ualarm(0, 0) -> "prev_ualarm_ok"
//   handler           a SIGUSR1 handler calls alarm(7) then alarm(0)
//                     -> "handler_prev 7"
//   handler_sleeps    SIGALRM unblocked with a handler that makes a 1 us
//                     nanosleep; setitimer 50 ms, then wait for the handler
//                     -> "handler_ran 1" (the sleep is a site of its own)
//   short_setitimer   arm 10 us: pending right after the call? after 200 us?
//   short_ualarm      same with ualarm(10, 0)    -> "now 0|1", "at200us 0|1",
//                     "window_ns" (from before the call to the second look)
//   short_alarm       alarm(1) (short only when TIMERSEM_SHORT >= 1s):
//                     pending right after the call? after 200 us? and the
//                     previous remaining seconds of a following alarm(0)
//   early_setitimer   setitimer 500 ms; look after 50 ms: fired before its
//   early_ualarm      time? (run with TIMERSEM_SHORT above the request)
//   early_alarm       same with ualarm(500000, 0), alarm(1)
//                     -> "looked_in_time 0|1", "fired 0|1"
//   stop_after_fire   a pending SIGALRM of an expired setting, then
//                     setitimer 10 s with old_value: "already fired" must
//                     leave the SIGALRM to take -> "said_fired_got_nothing 0|1",
//                     "said_pending_got_value 0|1"
//   two               two re-arm call sites, each after an expired timer
//                     -> "stale_a 0|1", "stale_b 0|1"
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "timer_util.h"

static int Pending(void) {
  sigset_t set;
  sigpending(&set);
  return sigismember(&set, SIGALRM);
}

// Dequeues SIGALRM without waiting; 1 if it arrived.
static int Take(siginfo_t* info) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGALRM);
  struct timespec zero = {0, 0};
  memset(info, 0, sizeof *info);
  return sigtimedwait(&set, info, &zero) == SIGALRM;
}

// Arms ITIMER_REAL for 1 ms behind the shim's back and lets it expire.
static int ExpireRaw(void) {
  struct itimerval v = {{0, 0}, {0, 1000}};
  if (RawSetitimer(&v) != 0) return -1;
  SpinNs(20000000);
  return 0;
}

static int Disarm(void) {
  struct itimerval zero = {{0, 0}, {0, 0}};
  return RawSetitimer(&zero);
}

static void PrintStale(void) {
  siginfo_t info;
  int stale = Take(&info);
  printf("stale %d\n", stale);
  if (stale) printf("code %d\n", info.si_code);
}

__attribute__((noinline)) static int RearmA(void) {
  struct itimerval v = {{0, 0}, {10, 0}};
  return setitimer(ITIMER_REAL, &v, NULL);
}

__attribute__((noinline)) static int RearmB(void) {
  struct itimerval v = {{0, 0}, {10, 0}};
  return setitimer(ITIMER_REAL, &v, NULL);
}

static volatile sig_atomic_t g_handler_prev = -1;

static void OnUsr1(int sig) {
  (void)sig;
  int saved = errno;
  alarm(7);
  g_handler_prev = (sig_atomic_t)alarm(0);
  errno = saved;
}

static volatile sig_atomic_t g_alarm_handled = 0;

static void OnAlrmSleep(int sig) {
  (void)sig;
  int saved = errno;
  struct timespec tiny = {0, 1000};
  nanosleep(&tiny, NULL);
  g_alarm_handled = 1;
  errno = saved;
}

static long NowNs(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

static int Short(const char* how) {
  long start = NowNs();
  if (strcmp(how, "short_setitimer") == 0) {
    struct itimerval v = {{0, 0}, {0, 10}};
    if (setitimer(ITIMER_REAL, &v, NULL) != 0) return 2;
  } else if (strcmp(how, "short_ualarm") == 0) {
    if (ualarm(10, 0) == (useconds_t)-1) return 2;
  } else {
    alarm(1);
  }
  int now = Pending();
  SpinNs(200000);
  int at200us = Pending();
  printf("now %d\nat200us %d\nwindow_ns %ld\n", now, at200us, NowNs() - start);
  if (strcmp(how, "short_alarm") == 0) printf("prev_after %u\n", alarm(0));
  return 0;
}

// Arms for 500 ms (alarm: 1 s) and looks after 50 ms: has it fired? Only a
// look within the request says anything.
static int Early(const char* how) {
  long request = 500000000L;
  long start = NowNs();
  if (strcmp(how, "early_setitimer") == 0) {
    struct itimerval v = {{0, 0}, {0, 500000}};
    if (setitimer(ITIMER_REAL, &v, NULL) != 0) return 2;
  } else if (strcmp(how, "early_ualarm") == 0) {
    if (ualarm(500000, 0) == (useconds_t)-1) return 2;
  } else {
    request = 1000000000L;
    alarm(1);
  }
  SpinNs(50000000);
  int fired = Pending();
  printf("looked_in_time %d\nfired %d\n", NowNs() - start < request, fired);
  Disarm();
  return 0;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "setitimer_rearm";
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGALRM);
  sigprocmask(SIG_BLOCK, &set, NULL);

  if (strncmp(what, "short_", 6) == 0) return Short(what);
  if (strncmp(what, "early_", 6) == 0) return Early(what);
  if (strcmp(what, "stop_after_fire") == 0) {
    if (ExpireRaw() != 0) return 2;
    struct itimerval v = {{0, 0}, {10, 0}}, old;
    if (setitimer(ITIMER_REAL, &v, &old) != 0) return 2;
    int pending = old.it_value.tv_sec != 0 || old.it_value.tv_usec != 0;
    siginfo_t info;
    int value = Take(&info);
    printf("said_pending_got_value %d\nsaid_fired_got_nothing %d\n", pending && value,
           !pending && !value);
    Disarm();
    return 0;
  }
  if (strcmp(what, "foreign") == 0) {
    kill(getpid(), SIGALRM);
    if (alarm(0) != 0) return 2;
    PrintStale();
    return 0;
  }
  if (strcmp(what, "prev") == 0) {
    alarm(5);
    printf("prev_alarm %u\n", alarm(0));
    ualarm(700000, 0);
    useconds_t prev = ualarm(0, 0);
    printf("prev_ualarm_ok %d\n", prev > 0 && prev <= 700000);
    return 0;
  }
  if (strcmp(what, "handler") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnUsr1;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("handler_prev %d\n", (int)g_handler_prev);
    return 0;
  }
  if (strcmp(what, "handler_sleeps") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnAlrmSleep;
    sigaction(SIGALRM, &sa, NULL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    struct itimerval v = {{0, 0}, {0, 50000}};
    if (setitimer(ITIMER_REAL, &v, NULL) != 0) return 2;
    long start = NowNs();
    while (!g_alarm_handled && NowNs() - start < 5000000000L) sched_yield();
    printf("handler_ran %d\n", (int)g_alarm_handled);
    return 0;
  }
  if (strcmp(what, "two") == 0) {
    if (ExpireRaw() != 0 || RearmA() != 0) return 2;
    siginfo_t info;
    printf("stale_a %d\n", Take(&info));
    if (ExpireRaw() != 0 || RearmB() != 0) return 2;
    printf("stale_b %d\n", Take(&info));
    Disarm();
    return 0;
  }

  if (ExpireRaw() != 0) return perror("setitimer"), 2;
  printf("pending %d\n", Pending());
  if (strcmp(what, "setitimer_rearm") == 0) {
    if (RearmA() != 0) return perror("setitimer"), 2;
  } else if (strcmp(what, "setitimer_disarm") == 0) {
    struct itimerval zero = {{0, 0}, {0, 0}};
    if (setitimer(ITIMER_REAL, &zero, NULL) != 0) return perror("setitimer"), 2;
  } else if (strcmp(what, "alarm_rearm") == 0) {
    printf("prev %u\n", alarm(10));
  } else if (strcmp(what, "alarm_disarm") == 0) {
    printf("prev %u\n", alarm(0));
  } else if (strcmp(what, "ualarm_disarm") == 0) {
    printf("prev %u\n", (unsigned)ualarm(0, 0));
  } else if (strcmp(what, "failed") == 0) {
    struct itimerval bad = {{0, 0}, {10, 2000000}};
    errno = 0;
    int r = setitimer(ITIMER_REAL, &bad, NULL);
    printf("result %d\nerrno %d\n", r, errno);
  } else {
    fprintf(stderr, "unknown behaviour %s\n", what);
    return 2;
  }
  PrintStale();
  Disarm();
  return 0;
}
