// watchdog_spurious: a watchdog that believes a stale expiration.
//
// A monitor reads a peer's heartbeats from a pipe and kicks (re-arms) a
// watchdog timerfd after each one. When the watchdog's descriptor is
// readable, the monitor concludes the peer is dead, without asking how long
// ago the last heartbeat came. One message carries a state snapshot whose
// processing takes longer than the watchdog period, so the watchdog expires
// while the monitor is busy; the kick right after must cancel that
// expiration. Under new semantics (Go 1.23 timers, and Linux's own timerfd)
// it does. Under old semantics the expiration survives the re-arm: the next
// poll finds the watchdog readable and the monitor declares a live peer dead
// (exit 1). A stats timer and a reconnect timer are used correctly and do
// not matter.
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { kWatchdogPeriodNs = 50000000 };  // 50 ms without a heartbeat: peer dead
enum { kSnapshotWorkNs = 60000000 };    // applying a snapshot takes 60 ms

static void Arm(int fd, long ns, long interval_ns) {
  struct itimerspec v = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
                         {ns / 1000000000L, ns % 1000000000L}};
  timerfd_settime(fd, 0, &v, NULL);
}

static void BusyWork(long ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

static int NewWatchdog(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);  // CULPRIT
}

static int NewStatsTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

static int NewReconnectTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

// Every heartbeat proves the peer alive: push the watchdog's deadline out.
static void KickWatchdog(int watchdog) {
  Arm(watchdog, kWatchdogPeriodNs, 0);
}

static void HandleMessage(char message) {
  if (message == 's') BusyWork(kSnapshotWorkNs);  // a state snapshot: slow to apply
}

int main(void) {
  // The peer's messages, already queued in the pipe when the monitor starts
  // (as in a socket buffer), so the run does not depend on scheduling: four
  // heartbeats, a snapshot, three heartbeats, then the peer hangs up.
  int peer[2];
  if (pipe(peer) != 0) return 2;
  static const char kMessages[] = "hhhhshhh";
  if (write(peer[1], kMessages, sizeof kMessages - 1) != sizeof kMessages - 1) return 2;
  close(peer[1]);

  int watchdog = NewWatchdog();
  int stats = NewStatsTimer();
  int reconnect = NewReconnectTimer();
  Arm(stats, 5000000, 5000000);     // stats every 5 ms
  Arm(reconnect, 10000000000L, 0);  // reconnect in 10 s unless the peer talks
  KickWatchdog(watchdog);

  int messages = 0, stats_ticks = 0;
  for (;;) {
    struct pollfd fds[3] = {{watchdog, POLLIN, 0}, {stats, POLLIN, 0}, {peer[0], POLLIN, 0}};
    poll(fds, 3, -1);
    uint64_t ticks;
    if (fds[0].revents & POLLIN) {
      // The bug: readable is taken to mean "no heartbeat for a whole period".
      printf("watchdog fired: peer dead after %d messages\n", messages);
      return 1;
    }
    if ((fds[1].revents & POLLIN) && read(stats, &ticks, sizeof ticks) == sizeof ticks) {
      stats_ticks += (int)ticks;
    }
    if (fds[2].revents & (POLLIN | POLLHUP)) {
      char message;
      if (read(peer[0], &message, 1) != 1) break;  // the peer hung up cleanly
      ++messages;
      Arm(reconnect, 0, 0);  // the peer is talking: no reconnect needed
      HandleMessage(message);
      KickWatchdog(watchdog);
    }
  }
  printf("peer sent %d messages and hung up; watchdog quiet (%d stats ticks)\n", messages,
         stats_ticks);
  return 0;
}
