// A SIGALRM handler that calls intercepted functions, again and again,
// while the main thread is itself inside intercepted calls: a 10 us
// nanosleep (short: old sleeps the lag, new returns at once), a timerfd
// re-arm and disarm, alarm(10) then alarm(0). A one-shot setitimer of
// 300 us, re-armed by the main loop, raises each signal. Prints
// "handled N" (kRounds when nothing was lost or stuck), "handler_errors 0",
// "alarm_prev_ok N" (alarm(0) returned the 10 s just set), "done 1".
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { kRounds = 200 };
static volatile sig_atomic_t g_handled, g_errors, g_alarm_prev_ok;
static int g_tfd = -1;

static void OnAlarm(int sig) {
  (void)sig;
  int saved = errno;
  struct timespec ten_us = {0, 10000};
  if (nanosleep(&ten_us, NULL) != 0 && errno != EINTR) ++g_errors;
  struct itimerspec later = {{0, 0}, {10, 0}}, zero = {{0, 0}, {0, 0}};
  if (timerfd_settime(g_tfd, 0, &later, NULL) != 0) ++g_errors;
  if (timerfd_settime(g_tfd, 0, &zero, NULL) != 0) ++g_errors;
  alarm(10);
  if (alarm(0) == 10) ++g_alarm_prev_ok;
  ++g_handled;
  errno = saved;
}

int main(void) {
  g_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  if (g_tfd < 0) return 2;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnAlarm;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGALRM, &sa, NULL) != 0) return 3;
  for (int round = 0; round < kRounds; ++round) {
    int before = g_handled;
    struct itimerval once = {{0, 0}, {0, 300}};
    if (setitimer(ITIMER_REAL, &once, NULL) != 0) return 4;
    // Intercepted calls in the main thread until the handler has run: the
    // signal lands inside the shim as often as not. 20 s is a hang.
    for (long spins = 0; g_handled == before; ++spins) {
      struct timespec ten_us = {0, 10000};
      nanosleep(&ten_us, NULL);
      struct itimerspec later = {{0, 0}, {10, 0}};
      timerfd_settime(g_tfd, 0, &later, NULL);
      if (spins > 2000000) return 5;
    }
  }
  printf("handled %d\nhandler_errors %d\nalarm_prev_ok %d\ndone 1\n", (int)g_handled, (int)g_errors,
         (int)g_alarm_prev_ok);
  return 0;
}
