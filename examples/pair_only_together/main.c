// pair_only_together: two timers that break a program only together.
//
// A client has a control connection and a data connection, each with a
// retransmit timer. Both requests are slow to be acknowledged: the timers
// expire while the client is busy, then the acknowledgements arrive and the
// client restarts (re-arms) both timers for the next request. Afterwards it
// counts the retransmit timers that are readable as retransmissions, and it
// has a budget of one spurious retransmission; two exhaust it (exit 1).
// Under new semantics (Go 1.23 timers, and Linux's own timerfd) restarting
// a timer discards its expiration: no retransmission. Under old semantics
// the expiration survives the re-arm and counts, but one old timer alone
// stays within the budget: only both together fail. The keepalive timer
// does not matter.
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { kRetransmitBudget = 1 };

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

static int NewControlRetransmitTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);  // CULPRIT control connection
}

static int NewDataRetransmitTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);  // CULPRIT data connection
}

static int NewKeepaliveTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

// A readable retransmit timer means "no ack in time": resend and count it.
static int Retransmissions(int timer) {
  struct pollfd p = {timer, POLLIN, 0};
  uint64_t expirations;
  if (poll(&p, 1, 0) == 1 && read(timer, &expirations, sizeof expirations) == sizeof expirations) {
    return 1;
  }
  return 0;
}

int main(void) {
  int control = NewControlRetransmitTimer();
  int data = NewDataRetransmitTimer();
  int keepalive = NewKeepaliveTimer();
  Arm(keepalive, 30000000000L);  // 30 s

  // Send both requests with a 1 ms retransmit timeout each.
  Arm(control, 1000000);
  Arm(data, 1000000);
  BusyWork(3000000);  // both acks come in 3 ms, after both timeouts fired
  // Acknowledged: restart both timers for the next request.
  Arm(control, 1000000000L);
  Arm(data, 1000000000L);

  int retransmissions = Retransmissions(control) + Retransmissions(data);
  if (retransmissions > kRetransmitBudget) {
    printf("%d spurious retransmissions: retry budget of %d exhausted\n", retransmissions,
           kRetransmitBudget);
    return 1;
  }
  printf("%d spurious retransmissions, within the budget of %d\n", retransmissions,
         kRetransmitBudget);
  return 0;
}
