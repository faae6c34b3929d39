// A heartbeat monitor whose test flakes: each round it re-arms a 5 ms
// watchdog timerfd, does 1 ms or 6 ms of work (the scheduler decides in
// real life; here a random draw per run), then re-arms again and polls the
// watchdog to see whether the peer went silent. When the work overran the
// watchdog, its expiration is pending at the re-arm. Under new semantics
// (Linux's own timerfd) the re-arm discards it; under old semantics it
// survives, and the monitor declares the peer dead: the test fails in about
// half of its runs, but only where timers have old semantics.
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void Work(long ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

static void Rearm(int fd, long ns) {
  struct itimerspec v = {{0, 0}, {ns / 1000000000L, ns % 1000000000L}};
  timerfd_settime(fd, 0, &v, NULL);
}

static int NewWatchdog(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);  // CULPRIT
}

int main(void) {
  struct timespec seed;
  clock_gettime(CLOCK_MONOTONIC, &seed);
  srand((unsigned)(seed.tv_nsec ^ getpid()));
  int watchdog = NewWatchdog();
  int overran = rand() % 2;
  Rearm(watchdog, 5000000);
  Work(overran ? 6000000 : 1000000);
  Rearm(watchdog, 1000000000L);  // heartbeat received: one more second
  struct pollfd p = {watchdog, POLLIN, 0};
  if (poll(&p, 1, 0) == 1) {
    printf("watchdog fired: peer declared dead\n");
    return 1;
  }
  printf("peer alive\n");
  return 0;
}
