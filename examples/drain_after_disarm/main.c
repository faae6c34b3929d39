// drain_after_disarm: Go code that drains t.C after Stop because it knows
// the deadline passed.
//
// A request handler arms a timeout timer per request. When a request ends,
// it stops the timer; if the timer had already fired (timerfd_gettime said
// so just before), it drains the expiration with a blocking read. Under old
// semantics (Go before 1.23: the buffered channel keeps the value) the
// expiration survives the disarm and the read returns at once. Under new
// semantics (Go 1.23, and Linux's own timerfd) disarming discards it and
// the read blocks forever: the program hangs. (Under new the disarm's
// old_value reports a discarded expiration as pending, as Go 1.23's Stop
// returns true; code that drained only after a disarm that said "fired"
// would not hang.) Two other timers (a heartbeat and a stats timer) are
// used correctly and do not matter.
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void Arm(int fd, long ns) {
  struct itimerspec v = {{0, 0}, {ns / 1000000000L, ns % 1000000000L}};
  timerfd_settime(fd, 0, &v, NULL);
}

static void BusyWork(long ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

// Stops a request's timeout timer. If it already fired (nothing left to
// wait), drain the expiration, as `if !t.Stop() { <-t.C }` does.
static void StopRequestTimer(int timer) {
  struct itimerspec left;
  timerfd_gettime(timer, &left);
  int fired = left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0;
  struct itimerspec disarm = {{0, 0}, {0, 0}};
  timerfd_settime(timer, 0, &disarm, NULL);
  if (fired) {
    uint64_t expirations;
    // Blocking read: under new semantics nothing is left to read.
    if (read(timer, &expirations, sizeof expirations) != sizeof expirations) perror("read");
  }
}

static int NewRequestTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, 0);
}

static int NewHeartbeat(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

static int NewStatsTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

int main(void) {
  int heartbeat = NewHeartbeat();
  int stats = NewStatsTimer();
  int request_timer = NewRequestTimer();
  for (int request = 0; request < 3; ++request) {
    Arm(heartbeat, 200000);
    Arm(stats, 5000000000L);
    Arm(request_timer, 1000000);  // 1 ms timeout for the request
    BusyWork(3000000);            // the request takes 3 ms: its timeout fires
    StopRequestTimer(request_timer);
    struct pollfd p = {heartbeat, POLLIN, 0};
    poll(&p, 1, 100);
    uint64_t beats;
    if (read(heartbeat, &beats, sizeof beats) < 0) perror("heartbeat");
    Arm(stats, 0);
  }
  printf("served 3 requests\n");
  return 0;
}
