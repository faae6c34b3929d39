// libevent 2.1 timers under the shim: each scenario prints "ok NAME" when
// its outcome is one that libevent allows under any timer semantics, and
// "FAIL NAME: why" otherwise (exit 1). Every scenario runs twice: on a
// default base (timeouts become epoll_wait's millisecond timeout) and on a
// base with EVENT_BASE_FLAG_PRECISE_TIMER (libevent arms a timerfd with
// microsecond precision instead), named "default/..." and "precise/...".
//
// Semantics-robust means: no scenario depends on when a timer is seen, only
// on what libevent promises: a timer fires once per arming, a deleted event
// never runs, timers fire in deadline order, a persistent timer repeats
// until deleted, and exactly one of two racing events wins when the winner
// deletes the other.
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int g_failures = 0;

static void Check(const char* base_name, const char* scenario, int ok, const char* why) {
  if (ok) {
    printf("ok %s/%s\n", base_name, scenario);
  } else {
    printf("FAIL %s/%s: %s\n", base_name, scenario, why);
    ++g_failures;
  }
}

static struct timeval Ms(long ms) {
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
  return tv;
}

// A counter callback: counts its calls.
static void Count(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  ++*(int*)arg;
}

static void OneShot(struct event_base* base, const char* name) {
  int fired = 0;
  struct event* t = evtimer_new(base, Count, &fired);
  struct timeval d = Ms(5);
  evtimer_add(t, &d);
  event_base_dispatch(base);
  Check(name, "oneshot", fired == 1, "a one-shot timer must fire exactly once");
  event_free(t);
}

struct Repeat {
  struct event* ev;
  int fired;
};

static void RepeatTick(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  struct Repeat* r = arg;
  if (++r->fired == 5) event_del(r->ev);
}

static void Repeating(struct event_base* base, const char* name) {
  struct Repeat r = {NULL, 0};
  r.ev = event_new(base, -1, EV_PERSIST, RepeatTick, &r);
  struct timeval d = Ms(2);
  event_add(r.ev, &d);
  event_base_dispatch(base);
  Check(name, "repeating", r.fired == 5,
        "a persistent timer deleted at its 5th tick ticks 5 times");
  event_free(r.ev);
}

static void Cancelled(struct event_base* base, const char* name) {
  int cancelled_fired = 0, end_fired = 0;
  struct event* cancelled = evtimer_new(base, Count, &cancelled_fired);
  struct event* end = evtimer_new(base, Count, &end_fired);
  struct timeval d30 = Ms(30), d50 = Ms(50);
  evtimer_add(cancelled, &d30);
  evtimer_add(end, &d50);
  evtimer_del(cancelled);
  event_base_dispatch(base);
  Check(name, "cancelled", cancelled_fired == 0 && end_fired == 1,
        "a timer deleted before it fires never runs");
  event_free(cancelled);
  event_free(end);
}

struct Rearm {
  int timer_fired;
  int timer_fired_before_marker;
  int marker_fired;
};

static void RearmTimer(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  struct Rearm* r = arg;
  ++r->timer_fired;
  if (!r->marker_fired) r->timer_fired_before_marker = 1;
}

static void RearmMarker(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  ((struct Rearm*)arg)->marker_fired = 1;
}

// A timer armed for 10 ms and re-armed for 40 ms before it fires: it fires
// once, after a 20 ms marker armed in between.
static void Rearmed(struct event_base* base, const char* name) {
  struct Rearm r = {0, 0, 0};
  struct event* timer = evtimer_new(base, RearmTimer, &r);
  struct event* marker = evtimer_new(base, RearmMarker, &r);
  struct timeval d10 = Ms(10), d20 = Ms(20), d40 = Ms(40);
  evtimer_add(timer, &d10);
  evtimer_add(marker, &d20);
  evtimer_add(timer, &d40);  // re-arm a pending timer
  event_base_dispatch(base);
  Check(name, "rearmed", r.timer_fired == 1 && !r.timer_fired_before_marker && r.marker_fired,
        "a re-armed timer fires once, at its new deadline");
  event_free(timer);
  event_free(marker);
}

struct Race {
  struct event* io;
  struct event* timeout;
  int io_won;
  int timeout_won;
};

static void RaceIo(evutil_socket_t fd, short what, void* arg) {
  (void)what;
  struct Race* r = arg;
  char byte;
  if (read(fd, &byte, 1) == 1) ++r->io_won;
  event_del(r->timeout);
}

static void RaceTimeout(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  struct Race* r = arg;
  ++r->timeout_won;
  event_del(r->io);
}

// A ready pipe races a 20 us timeout; whichever runs first deletes the
// other. Either may win; exactly one runs.
static void ShortTimeoutRace(struct event_base* base, const char* name) {
  int fds[2];
  if (pipe(fds) != 0) {
    Check(name, "race", 0, "pipe failed");
    return;
  }
  struct Race r = {NULL, NULL, 0, 0};
  r.io = event_new(base, fds[0], EV_READ, RaceIo, &r);
  r.timeout = evtimer_new(base, RaceTimeout, &r);
  if (write(fds[1], "x", 1) != 1) perror("write");
  struct timeval d = {0, 20};
  event_add(r.io, NULL);
  evtimer_add(r.timeout, &d);
  event_base_dispatch(base);
  Check(name, "race", r.io_won + r.timeout_won == 1, "exactly one of the racing events runs");
  printf("race winner %s/%s\n", name, r.io_won ? "io" : "timeout");
  event_free(r.io);
  event_free(r.timeout);
  close(fds[0]);
  close(fds[1]);
}

struct Post {
  struct event* ev;
  sem_t ack;
  int received;
};

static void PostReceived(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  struct Post* p = arg;
  if (++p->received == 5) event_del(p->ev);
  sem_post(&p->ack);
}

// Waits for the loop's acknowledgement with a timed wait (intercepted),
// retrying after a timeout: only the acknowledgement ends the wait.
static void AwaitAck(sem_t* ack) {
  for (;;) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 1;
    if (sem_timedwait(ack, &deadline) == 0) return;
    if (errno != ETIMEDOUT && errno != EINTR) return;
  }
}

static void* Worker(void* arg) {
  struct Post* p = arg;
  for (int i = 0; i < 5; ++i) {
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
    event_active(p->ev, EV_READ, 0);
    AwaitAck(&p->ack);
  }
  return NULL;
}

// A worker thread posts five times to the loop (event_active from another
// thread, which evthread makes safe and which wakes the loop); each post
// runs once.
static void WorkerPosts(struct event_base* base, const char* name) {
  struct Post p;
  p.received = 0;
  sem_init(&p.ack, 0, 0);
  // Persistent with no fd: stays added (keeps the loop running) until the
  // fifth post deletes it.
  p.ev = event_new(base, -1, EV_PERSIST | EV_READ, PostReceived, &p);
  struct timeval safety = Ms(60000);
  event_add(p.ev, &safety);
  pthread_t worker;
  pthread_create(&worker, NULL, Worker, &p);
  event_base_dispatch(base);
  pthread_join(worker, NULL);
  Check(name, "worker", p.received == 5, "each of five posts from a worker runs once");
  event_free(p.ev);
  sem_destroy(&p.ack);
}

static void RunAll(struct event_base* base, const char* name) {
  OneShot(base, name);
  Repeating(base, name);
  Cancelled(base, name);
  Rearmed(base, name);
  ShortTimeoutRace(base, name);
  WorkerPosts(base, name);
}

int main(void) {
  evthread_use_pthreads();
  struct event_base* plain = event_base_new();
  struct event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  struct event_base* precise = event_base_new_with_config(cfg);
  event_config_free(cfg);
  if (plain == NULL || precise == NULL) {
    printf("FAIL setup: event_base_new\n");
    return 1;
  }
  printf("backend default %s\n", event_base_get_method(plain));
  RunAll(plain, "default");
  RunAll(precise, "precise");
  event_base_free(plain);
  event_base_free(precise);
  printf("%s\n", g_failures == 0 ? "all ok" : "some failed");
  return g_failures == 0 ? 0 : 1;
}
