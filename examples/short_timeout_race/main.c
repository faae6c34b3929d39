// short_timeout_race: the select race of the Go wiki's timer page,
//   select { case v := <-ready: ... case <-time.After(1 * time.Nanosecond): ... }
// in C with epoll: a lookup whose answer is already there races a deadline
// of 1 us.
//
// A client asks a cache for three keys. The cache answers through an
// eventfd, and every answer is already in before the client waits (the
// cache is warm). The client waits with epoll for the answer or for its
// per-lookup deadline, a timerfd armed for 1 us, and checks the deadline
// first: an expired deadline is a timeout (exit 1). Under old semantics a
// very short timer is seen late, so the ready answer wins every time. Under
// new semantics (Go 1.23 timers) a very short timer has already expired
// when it is armed, both are ready, and the lookup "times out" although the
// answer was there. The session's 5 s overall deadline does not matter.
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

enum { kLookupDeadlineNs = 1000 };  // 1 us: "just check, don't wait"

static void Arm(int fd, long ns) {
  struct itimerspec v = {{0, 0}, {ns / 1000000000L, ns % 1000000000L}};
  timerfd_settime(fd, 0, &v, NULL);
}

static int NewSessionDeadline(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

static int NewLookupDeadline(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);  // CULPRIT
}

// The warm cache answers at once: the answer is queued before the client
// starts waiting.
static void CacheAnswer(int answers, uint64_t value) {
  if (write(answers, &value, sizeof value) != sizeof value) perror("answer");
}

// Returns 0 with the answer, 1 on timeout.
static int AwaitAnswer(int epoll, int answers, int session, uint64_t* value) {
  int deadline = NewLookupDeadline();
  struct epoll_event ev = {EPOLLIN, {.fd = deadline}};
  epoll_ctl(epoll, EPOLL_CTL_ADD, deadline, &ev);
  Arm(deadline, kLookupDeadlineNs);
  int timed_out = 0, answered = 0;
  while (!timed_out && !answered) {
    struct epoll_event ready[3];
    int n = epoll_wait(epoll, ready, 3, -1);
    for (int i = 0; i < n; ++i) timed_out |= ready[i].data.fd == deadline;
    for (int i = 0; i < n; ++i) timed_out |= ready[i].data.fd == session;
    if (timed_out) break;  // the bug: the deadline is checked before the answer
    for (int i = 0; i < n; ++i) {
      if (ready[i].data.fd == answers && read(answers, value, sizeof *value) == sizeof *value) {
        answered = 1;
      }
    }
  }
  epoll_ctl(epoll, EPOLL_CTL_DEL, deadline, NULL);
  close(deadline);
  return timed_out;
}

int main(void) {
  int epoll = epoll_create1(0);
  int answers = eventfd(0, EFD_NONBLOCK);
  int session = NewSessionDeadline();
  Arm(session, 5000000000L);
  struct epoll_event ev = {EPOLLIN, {.fd = answers}};
  epoll_ctl(epoll, EPOLL_CTL_ADD, answers, &ev);
  ev.data.fd = session;
  epoll_ctl(epoll, EPOLL_CTL_ADD, session, &ev);

  for (uint64_t key = 1; key <= 3; ++key) {
    CacheAnswer(answers, key * 100);
    uint64_t value = 0;
    if (AwaitAnswer(epoll, answers, session, &value)) {
      printf("lookup %llu timed out although its answer was ready\n", (unsigned long long)key);
      return 1;
    }
    printf("lookup %llu: %llu\n", (unsigned long long)key, (unsigned long long)value);
  }
  return 0;
}
