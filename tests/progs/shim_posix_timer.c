// POSIX timer behaviours, one per argument; each prints "key value" lines.
// The timer's signal is blocked throughout, so "arrives" means sigtimedwait
// (zero timeout) dequeues it; sigpending alone can show a signal the kernel
// then drops at dequeue (Linux 6.13+).
//   rearm     arm 1 ms, let it expire (signal pending), re-arm for 10 s:
//             does the old signal arrive?     -> "pending 1", "stale 0|1",
//             "code", "same_timer 0|1", "value"
//   disarm    same, disarming instead          -> same keys
//   delete    same, deleting the timer         -> same keys
//   rearm_null  rearm with a null sigevent (SIGALRM, value = timer ID)
//   rearm_tid   rearm with SIGEV_THREAD_ID to the calling thread
//   duesoon   arm 300 us, re-arm at once for 10 s (nothing pending yet):
//             old counts an expiration due within the lag as fired
//                                              -> "stale 0|1"
//   failed    arm 1 ms, expire, re-arm with tv_nsec out of range: the call
//             fails and changes nothing       -> "errno", "stale 0|1"
//   badtimer  timer_settime/timer_delete on a deleted timer
//                                              -> "settime_errno", "delete_errno"
//   short     arm 10 us relative: pending right after the call? after 200 us?
//             and how long from before the call to the second look
//                                              -> "now 0|1", "at200us 0|1", "window_ns"
//   two       two timers from two call sites, each re-armed after expiring
//                                              -> "stale_a 0|1", "stale_b 0|1"
//   early_rel, early_abs  arm 500 ms (relative; TIMER_ABSTIME deadline),
//             look after 50 ms: fired before its time?
//                                              -> "looked_in_time 0|1", "fired 0|1"
//   stop_race 20 times: arm 500 us, disarm at once with old_value, wait
//             2 ms, take the signal: a disarm that said "pending" must not
//             be followed by a signal -> "said_pending_got_value N", "got_value N"
//   stop_after_fire  6 times: arm 1 ms, let it fire, disarm (even rounds) or
//             re-arm for 10 s (odd rounds) with old_value, take the signal:
//             "already fired" must leave the signal to take
//                                              -> "said_fired_got_nothing N", same keys
//   overrun   arm 1 ms periodic, let it overrun for 20 ms, re-arm for 10 s,
//             take the signal, then timer_getoverrun
//                                              -> "si_overrun N", "getoverrun N"
//   fork      create a timer, fork; the child creates one on the same code
//             path and runs "rearm" on it    -> "child_stale 0|1", "child_exit"
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIG_A SIGRTMIN
#define SIG_B (SIGRTMIN + 1)

static long NowNs(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

// A busy loop on clock_gettime: the shim must not stretch this wait.
static void SpinNs(long ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

static void Block(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, NULL);
}

static int Pending(int sig) {
  sigset_t set;
  sigpending(&set);
  return sigismember(&set, sig);
}

// Dequeues `sig` without waiting; 1 if it arrived.
static int Take(int sig, siginfo_t* info) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  struct timespec zero = {0, 0};
  memset(info, 0, sizeof *info);
  return sigtimedwait(&set, info, &zero) == sig;
}

static int Arm(timer_t t, long ns) {
  struct itimerspec v = {{0, 0}, {ns / 1000000000L, ns % 1000000000L}};
  return timer_settime(t, 0, &v, NULL);
}

__attribute__((noinline)) static int CreateA(timer_t* t, int notify, int sig) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = notify;
  ev.sigev_signo = sig;
  ev.sigev_value.sival_int = 42;
  if (notify == SIGEV_THREAD_ID) ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
  return timer_create(CLOCK_MONOTONIC, &ev, t);
}

__attribute__((noinline)) static int CreateB(timer_t* t) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIG_B;
  ev.sigev_value.sival_int = 43;
  return timer_create(CLOCK_MONOTONIC, &ev, t);
}

// Arms for 1 ms, lets it expire, then re-arms for 10 s ("rearm"), disarms
// ("disarm") or deletes ("delete"), and reports whether the old signal
// arrives.
static int Stale(timer_t t, int sig, const char* how) {
  if (Arm(t, 1000000) != 0) return perror("timer_settime"), 2;
  SpinNs(20000000);
  printf("pending %d\n", Pending(sig));
  int r = strcmp(how, "delete") == 0   ? timer_delete(t)
          : strcmp(how, "disarm") == 0 ? Arm(t, 0)
                                       : Arm(t, 10000000000L);
  if (r != 0) return perror(how), 2;
  siginfo_t info;
  int stale = Take(sig, &info);
  printf("stale %d\n", stale);
  if (stale) {
    printf("code %d\n", info.si_code);
    printf("same_timer %d\n", info.si_timerid == (int)(long)t);
    printf("value %d\n", info.si_value.sival_int);
  }
  return 0;
}

// The parent creates a timer, forks, and the child creates one on exactly
// the same code path (same call instruction, same stack), then runs "rearm"
// on it. The loop state is volatile so the compiler cannot unroll or thread
// the loop into two call sites.
static volatile int g_round;
static volatile pid_t g_pid = -1;

__attribute__((noinline)) static int ForkScenario(void) {
  for (g_round = 0; g_round < 2; g_round = g_round + 1) {
    if (g_round == 1) {
      fflush(stdout);
      g_pid = fork();
      if (g_pid < 0) return perror("fork"), 2;
      if (g_pid > 0) break;
    }
    timer_t t;
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0) return 2;
    if (g_pid == 0) {
      if (Arm(t, 1000000) != 0) _exit(4);
      SpinNs(20000000);
      if (Arm(t, 10000000000L) != 0) _exit(5);
      siginfo_t info;
      printf("child_stale %d\n", Take(SIG_A, &info));
      fflush(stdout);
      _exit(0);
    }
  }
  int status = 0;
  waitpid(g_pid, &status, 0);
  printf("child_exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}

static struct timespec Ts(long ns) {
  struct timespec t = {ns / 1000000000L, ns % 1000000000L};
  return t;
}

// Arms 500 ms (relative or absolute) and looks after 50 ms: has it fired?
// Only a look within the 500 ms says anything.
static int Early(timer_t t, int absolute) {
  const long request = 500000000L;
  long start = NowNs();
  struct itimerspec v = {{0, 0}, Ts(absolute ? start + request : request)};
  if (timer_settime(t, absolute ? TIMER_ABSTIME : 0, &v, NULL) != 0) return 2;
  SpinNs(50000000);
  int fired = Pending(SIG_A);
  printf("looked_in_time %d\nfired %d\n", NowNs() - start < request, fired);
  return 0;
}

// Go's `stopped := t.Stop()` then a look at t.C, `rounds` times (see the
// timerfd program): counts the answers that disagree with the signal.
static int StopAndLook(timer_t t, long arm_ns, long before_ns, int rounds, int rearm_odd) {
  int said_pending_got_value = 0, said_fired_got_nothing = 0, got_value = 0;
  for (int i = 0; i < rounds; ++i) {
    if (Arm(t, arm_ns) != 0) return 2;
    if (before_ns > 0) SpinNs(before_ns);
    struct itimerspec next = {{0, 0}, Ts(rearm_odd && i % 2 == 1 ? 10000000000L : 0)};
    struct itimerspec old;
    if (timer_settime(t, 0, &next, &old) != 0) return 2;
    int pending = old.it_value.tv_sec != 0 || old.it_value.tv_nsec != 0;
    SpinNs(2000000);
    siginfo_t info;
    int value = Take(SIG_A, &info);
    got_value += value;
    said_pending_got_value += pending && value;
    said_fired_got_nothing += !pending && !value;
    if (Arm(t, 0) != 0) return 2;
  }
  printf("said_pending_got_value %d\nsaid_fired_got_nothing %d\ngot_value %d\n",
         said_pending_got_value, said_fired_got_nothing, got_value);
  return 0;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "rearm";
  Block(SIG_A);
  Block(SIG_B);
  Block(SIGALRM);
  timer_t t;
  if (strcmp(what, "rearm") == 0 || strcmp(what, "disarm") == 0 || strcmp(what, "delete") == 0) {
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0) return perror("timer_create"), 2;
    return Stale(t, SIG_A, what);
  }
  if (strcmp(what, "rearm_null") == 0) {
    if (timer_create(CLOCK_MONOTONIC, NULL, &t) != 0) return perror("timer_create"), 2;
    int r = Stale(t, SIGALRM, "rearm");
    printf("expected_value %d\n", (int)(long)t);
    return r;
  }
  if (strcmp(what, "rearm_tid") == 0) {
    if (CreateA(&t, SIGEV_THREAD_ID, SIG_A) != 0) return perror("timer_create"), 2;
    return Stale(t, SIG_A, "rearm");
  }
  if (strcmp(what, "duesoon") == 0) {
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0) return 2;
    if (Arm(t, 300000) != 0 || Arm(t, 10000000000L) != 0) return 2;
    siginfo_t info;
    printf("stale %d\n", Take(SIG_A, &info));
    return 0;
  }
  if (strcmp(what, "failed") == 0) {
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0 || Arm(t, 1000000) != 0) return 2;
    SpinNs(20000000);
    struct itimerspec bad = {{0, 0}, {10, 2000000000L}};
    errno = 0;
    int r = timer_settime(t, 0, &bad, NULL);
    printf("result %d\nerrno %d\n", r, errno);
    siginfo_t info;
    printf("stale %d\n", Take(SIG_A, &info));
    return 0;
  }
  if (strcmp(what, "badtimer") == 0) {
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0 || timer_delete(t) != 0) return 2;
    errno = 0;
    int r = Arm(t, 1000000);
    printf("settime_result %d\nsettime_errno %d\n", r, errno);
    errno = 0;
    r = timer_delete(t);
    printf("delete_result %d\ndelete_errno %d\n", r, errno);
    return 0;
  }
  if (strcmp(what, "short") == 0) {
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0) return 2;
    long start = NowNs();
    if (Arm(t, 10000) != 0) return 2;
    int now = Pending(SIG_A);
    SpinNs(200000);
    int at200us = Pending(SIG_A);
    printf("now %d\nat200us %d\nwindow_ns %ld\n", now, at200us, NowNs() - start);
    return 0;
  }
  if (strcmp(what, "two") == 0) {
    timer_t a, b;
    if (CreateA(&a, SIGEV_SIGNAL, SIG_A) != 0 || CreateB(&b) != 0) return 2;
    if (Arm(a, 1000000) != 0 || Arm(b, 1000000) != 0) return 2;
    SpinNs(20000000);
    if (Arm(a, 10000000000L) != 0 || Arm(b, 10000000000L) != 0) return 2;
    siginfo_t info;
    printf("stale_a %d\n", Take(SIG_A, &info));
    printf("stale_b %d\n", Take(SIG_B, &info));
    return 0;
  }
  if (strcmp(what, "fork") == 0) return ForkScenario();
  if (strcmp(what, "early_rel") == 0 || strcmp(what, "early_abs") == 0) {
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0) return 2;
    return Early(t, strcmp(what, "early_abs") == 0);
  }
  if (strcmp(what, "stop_race") == 0 || strcmp(what, "stop_after_fire") == 0) {
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0) return 2;
    if (strcmp(what, "stop_race") == 0) return StopAndLook(t, 500000, 0, 20, 0);
    return StopAndLook(t, 1000000, 5000000, 6, 1);
  }
  if (strcmp(what, "overrun") == 0) {
    if (CreateA(&t, SIGEV_SIGNAL, SIG_A) != 0) return 2;
    struct itimerspec periodic = {{0, 1000000}, {0, 1000000}};
    if (timer_settime(t, 0, &periodic, NULL) != 0) return 2;
    SpinNs(20000000);
    if (Arm(t, 10000000000L) != 0) return 2;
    siginfo_t info;
    if (!Take(SIG_A, &info)) return printf("si_overrun none\n"), 0;
    printf("si_overrun %d\ngetoverrun %d\n", info.si_overrun, timer_getoverrun(t));
    return 0;
  }
  fprintf(stderr, "unknown behaviour %s\n", what);
  return 2;
}
