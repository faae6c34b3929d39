// libuv timers under the shim: each scenario prints "ok NAME" when its
// outcome is one that libuv allows under any timer semantics, and
// "FAIL NAME: why" otherwise (exit 1). libuv turns the nearest timer into
// epoll's millisecond timeout and wakes the loop from other threads through
// an eventfd (uv_async_send).
//
// Semantics-robust means: no scenario depends on when a timer is seen, only
// on what libuv promises (a stopped timer never runs, except, under the
// shim's old semantics, once more when it was already due: the callbacks
// that can be stopped late ignore such a run), a timer with no repeat
// runs once per start, a repeating one repeats until stopped, restarting a
// timer replaces its deadline, timers due at different times run in
// deadline order, and exactly one of two racing handles wins when the
// winner stops the other.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

static int g_failures = 0;

static void Check(const char* scenario, int ok, const char* why) {
  if (ok) {
    printf("ok %s\n", scenario);
  } else {
    printf("FAIL %s: %s\n", scenario, why);
    ++g_failures;
  }
}

static void CountOnce(uv_timer_t* t) {
  ++*(int*)t->data;
}

static void OneShot(uv_loop_t* loop) {
  int fired = 0;
  uv_timer_t t;
  uv_timer_init(loop, &t);
  t.data = &fired;
  uv_timer_start(&t, CountOnce, 5, 0);
  uv_run(loop, UV_RUN_DEFAULT);
  Check("oneshot", fired == 1, "a one-shot timer runs exactly once");
  uv_close((uv_handle_t*)&t, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
}

static void RepeatTick(uv_timer_t* t) {
  int* fired = t->data;
  // Under old semantics a tick already due when the timer was stopped
  // still runs once (shim/lib_uv.cc): a robust callback ignores it.
  if (*fired >= 5) return;
  if (++*fired == 5) uv_timer_stop(t);
}

static void Repeating(uv_loop_t* loop) {
  int fired = 0;
  uv_timer_t t;
  uv_timer_init(loop, &t);
  t.data = &fired;
  uv_timer_start(&t, RepeatTick, 2, 2);
  uv_run(loop, UV_RUN_DEFAULT);
  Check("repeating", fired == 5, "a repeating timer stopped at its 5th run runs 5 times");
  uv_close((uv_handle_t*)&t, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
}

static void Cancelled(uv_loop_t* loop) {
  int cancelled_fired = 0, end_fired = 0;
  uv_timer_t cancelled, end;
  uv_timer_init(loop, &cancelled);
  uv_timer_init(loop, &end);
  cancelled.data = &cancelled_fired;
  end.data = &end_fired;
  uv_timer_start(&cancelled, CountOnce, 30, 0);
  uv_timer_start(&end, CountOnce, 50, 0);
  uv_timer_stop(&cancelled);
  uv_run(loop, UV_RUN_DEFAULT);
  Check("cancelled", cancelled_fired == 0 && end_fired == 1,
        "a timer stopped before it fires never runs");
  uv_close((uv_handle_t*)&cancelled, NULL);
  uv_close((uv_handle_t*)&end, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
}

struct Rearm {
  int timer_fired;
  int timer_fired_before_marker;
  int marker_fired;
};

static void RearmTimer(uv_timer_t* t) {
  struct Rearm* r = t->data;
  ++r->timer_fired;
  if (!r->marker_fired) r->timer_fired_before_marker = 1;
}

static void RearmMarker(uv_timer_t* t) {
  ((struct Rearm*)t->data)->marker_fired = 1;
}

// A timer started for 10 ms and restarted for 40 ms before it fires: it runs
// once, after a 20 ms marker started in between.
static void Rearmed(uv_loop_t* loop) {
  struct Rearm r = {0, 0, 0};
  uv_timer_t timer, marker;
  uv_timer_init(loop, &timer);
  uv_timer_init(loop, &marker);
  timer.data = marker.data = &r;
  uv_timer_start(&timer, RearmTimer, 10, 0);
  uv_timer_start(&marker, RearmMarker, 20, 0);
  uv_timer_start(&timer, RearmTimer, 40, 0);  // restart replaces the deadline
  uv_run(loop, UV_RUN_DEFAULT);
  Check("rearmed", r.timer_fired == 1 && !r.timer_fired_before_marker && r.marker_fired,
        "a restarted timer runs once, at its new deadline");
  uv_close((uv_handle_t*)&timer, NULL);
  uv_close((uv_handle_t*)&marker, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
}

struct Race {
  uv_poll_t io;
  uv_timer_t timeout;
  int fd;
  int io_won;
  int timeout_won;
};

static void RaceIo(uv_poll_t* handle, int status, int events) {
  (void)events;
  struct Race* r = handle->data;
  char byte;
  if (status == 0 && read(r->fd, &byte, 1) == 1) ++r->io_won;
  uv_poll_stop(&r->io);
  uv_timer_stop(&r->timeout);
}

static void RaceTimeout(uv_timer_t* t) {
  struct Race* r = t->data;
  if (r->io_won) return;  // a stale run after the I/O won and stopped it (old)
  ++r->timeout_won;
  uv_poll_stop(&r->io);
}

// A ready pipe races a 1 ms timer (libuv's shortest non-zero one); whichever
// runs first stops the other. Either may win; exactly one runs.
static void ShortTimeoutRace(uv_loop_t* loop) {
  int fds[2];
  if (pipe(fds) != 0) {
    Check("race", 0, "pipe failed");
    return;
  }
  struct Race r;
  r.fd = fds[0];
  r.io_won = r.timeout_won = 0;
  if (write(fds[1], "x", 1) != 1) perror("write");
  uv_poll_init(loop, &r.io, fds[0]);
  uv_timer_init(loop, &r.timeout);
  r.io.data = r.timeout.data = &r;
  uv_timer_start(&r.timeout, RaceTimeout, 1, 0);
  uv_poll_start(&r.io, UV_READABLE, RaceIo);
  uv_run(loop, UV_RUN_DEFAULT);
  Check("race", r.io_won + r.timeout_won == 1, "exactly one of the racing handles runs");
  printf("race winner %s\n", r.io_won ? "io" : "timeout");
  uv_close((uv_handle_t*)&r.io, NULL);
  uv_close((uv_handle_t*)&r.timeout, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  close(fds[0]);
  close(fds[1]);
}

struct Post {
  uv_async_t async;
  pthread_mutex_t mutex;
  pthread_cond_t acked;
  int received;
};

static void PostReceived(uv_async_t* a) {
  struct Post* p = a->data;
  pthread_mutex_lock(&p->mutex);
  if (++p->received == 5) uv_close((uv_handle_t*)&p->async, NULL);
  pthread_cond_signal(&p->acked);
  pthread_mutex_unlock(&p->mutex);
}

// Posts five times to the loop with uv_async_send (sends before a run may
// coalesce, so each waits for the previous one to run), each after a 1 ms
// sleep; the wait is a timed condvar wait that retries until acknowledged.
static void* Worker(void* arg) {
  struct Post* p = arg;
  for (int i = 0; i < 5; ++i) {
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
    uv_async_send(&p->async);
    pthread_mutex_lock(&p->mutex);
    while (p->received <= i) {
      struct timespec deadline;
      clock_gettime(CLOCK_REALTIME, &deadline);
      deadline.tv_sec += 1;
      pthread_cond_timedwait(&p->acked, &p->mutex, &deadline);
    }
    pthread_mutex_unlock(&p->mutex);
  }
  return NULL;
}

static void WorkerPosts(uv_loop_t* loop) {
  struct Post p;
  p.received = 0;
  pthread_mutex_init(&p.mutex, NULL);
  pthread_cond_init(&p.acked, NULL);
  uv_async_init(loop, &p.async, PostReceived);
  p.async.data = &p;
  pthread_t worker;
  pthread_create(&worker, NULL, Worker, &p);
  uv_run(loop, UV_RUN_DEFAULT);  // ends when the fifth post closes the handle
  pthread_join(worker, NULL);
  Check("worker", p.received == 5, "each of five posts from a worker runs once");
  pthread_cond_destroy(&p.acked);
  pthread_mutex_destroy(&p.mutex);
}

int main(void) {
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) {
    printf("FAIL setup: uv_loop_init\n");
    return 1;
  }
  OneShot(&loop);
  Repeating(&loop);
  Cancelled(&loop);
  Rearmed(&loop);
  ShortTimeoutRace(&loop);
  WorkerPosts(&loop);
  int closed = uv_loop_close(&loop);
  Check("close", closed == 0, "every handle is closed at the end");
  printf("%s\n", g_failures == 0 ? "all ok" : "some failed");
  return g_failures == 0 ? 0 : 1;
}
