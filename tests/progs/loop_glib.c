// GLib main loop timers under the shim: each scenario prints "ok NAME" when
// its outcome is one that GLib allows under any timer semantics, and
// "FAIL NAME: why" otherwise (exit 1). GLib turns the nearest timeout into
// poll's millisecond timeout (g_poll is poll on Linux) and its worker
// wake-ups go through GCond (futex).
//
// Semantics-robust means: no scenario depends on when a timer is seen, only
// on what GLib promises: a removed source never dispatches, a timeout
// returning G_SOURCE_REMOVE runs once, one returning G_SOURCE_CONTINUE
// repeats, a later ready time dispatches after an earlier one, and exactly
// one of two racing sources wins when the winner removes the other.
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <unistd.h>

static int g_failures = 0;

static void Check(const char* scenario, int ok, const char* why) {
  if (ok) {
    printf("ok %s\n", scenario);
  } else {
    printf("FAIL %s: %s\n", scenario, why);
    ++g_failures;
  }
}

struct Counter {
  GMainLoop* loop;
  int fired;
  int quit_at;  // quit the loop when fired reaches this (0: never)
};

static gboolean CountOnce(gpointer data) {
  struct Counter* c = data;
  if (++c->fired == c->quit_at) g_main_loop_quit(c->loop);
  return G_SOURCE_REMOVE;
}

static gboolean CountRepeating(gpointer data) {
  struct Counter* c = data;
  if (++c->fired == c->quit_at) {
    g_main_loop_quit(c->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void OneShot(GMainLoop* loop) {
  struct Counter c = {loop, 0, 1};
  g_timeout_add(5, CountOnce, &c);
  g_main_loop_run(loop);
  Check("oneshot", c.fired == 1, "a one-shot timeout runs exactly once");
}

static void Repeating(GMainLoop* loop) {
  struct Counter c = {loop, 0, 5};
  g_timeout_add(2, CountRepeating, &c);
  g_main_loop_run(loop);
  Check("repeating", c.fired == 5, "a repeating timeout removed at its 5th run runs 5 times");
}

static void Cancelled(GMainLoop* loop) {
  struct Counter cancelled = {loop, 0, 0}, end = {loop, 0, 1};
  guint id = g_timeout_add(30, CountOnce, &cancelled);
  g_timeout_add(50, CountOnce, &end);
  g_source_remove(id);
  g_main_loop_run(loop);
  Check("cancelled", cancelled.fired == 0 && end.fired == 1,
        "a timeout removed before it fires never runs");
}

struct Rearm {
  GMainLoop* loop;
  int timer_fired;
  int timer_fired_before_marker;
  int marker_fired;
};

static gboolean RearmTimer(gpointer data) {
  struct Rearm* r = data;
  ++r->timer_fired;
  if (!r->marker_fired) r->timer_fired_before_marker = 1;
  g_main_loop_quit(r->loop);
  return G_SOURCE_REMOVE;
}

static gboolean RearmMarker(gpointer data) {
  ((struct Rearm*)data)->marker_fired = 1;
  return G_SOURCE_REMOVE;
}

// A timeout source armed for 10 ms and moved to 40 ms (ready time) before it
// fires: it runs once, after a 20 ms marker attached before it.
static void Rearmed(GMainLoop* loop) {
  struct Rearm r = {loop, 0, 0, 0};
  g_timeout_add(20, RearmMarker, &r);
  GSource* timer = g_timeout_source_new(10);
  g_source_set_callback(timer, RearmTimer, &r, NULL);
  g_source_attach(timer, NULL);
  g_source_set_ready_time(timer, g_source_get_time(timer) + 40 * G_TIME_SPAN_MILLISECOND);
  g_main_loop_run(loop);
  Check("rearmed", r.timer_fired == 1 && !r.timer_fired_before_marker && r.marker_fired,
        "a re-armed timeout runs once, at its new ready time");
  g_source_destroy(timer);
  g_source_unref(timer);
}

struct Race {
  GMainLoop* loop;
  guint io;
  guint timeout;
  int io_won;
  int timeout_won;
};

static gboolean RaceIo(gint fd, GIOCondition condition, gpointer data) {
  (void)condition;
  struct Race* r = data;
  char byte;
  if (read(fd, &byte, 1) == 1) ++r->io_won;
  g_source_remove(r->timeout);
  g_main_loop_quit(r->loop);
  return G_SOURCE_REMOVE;
}

static gboolean RaceTimeout(gpointer data) {
  struct Race* r = data;
  ++r->timeout_won;
  g_source_remove(r->io);
  g_main_loop_quit(r->loop);
  return G_SOURCE_REMOVE;
}

// A ready pipe races a 1 ms timeout (GLib's shortest non-zero one); whichever
// runs first removes the other. Either may win; exactly one runs.
static void ShortTimeoutRace(GMainLoop* loop) {
  int fds[2];
  if (pipe(fds) != 0) {
    Check("race", 0, "pipe failed");
    return;
  }
  struct Race r = {loop, 0, 0, 0, 0};
  if (write(fds[1], "x", 1) != 1) perror("write");
  r.timeout = g_timeout_add(1, RaceTimeout, &r);
  r.io = g_unix_fd_add(fds[0], G_IO_IN, RaceIo, &r);
  g_main_loop_run(loop);
  Check("race", r.io_won + r.timeout_won == 1, "exactly one of the racing sources runs");
  printf("race winner %s\n", r.io_won ? "io" : "timeout");
  close(fds[0]);
  close(fds[1]);
}

struct Post {
  GMainLoop* loop;
  GMutex mutex;
  GCond acked;
  int received;
};

static gboolean PostReceived(gpointer data) {
  struct Post* p = data;
  g_mutex_lock(&p->mutex);
  if (++p->received == 5) g_main_loop_quit(p->loop);
  g_cond_signal(&p->acked);
  g_mutex_unlock(&p->mutex);
  return G_SOURCE_REMOVE;
}

// Posts five times to the main context, each after a 1 ms sleep, waiting
// for each to run with a timed GCond wait (a futex wait with a timeout)
// that retries until the acknowledgement comes.
static gpointer Worker(gpointer data) {
  struct Post* p = data;
  for (int i = 0; i < 5; ++i) {
    g_usleep(1000);
    g_idle_add(PostReceived, p);
    g_mutex_lock(&p->mutex);
    while (p->received <= i) {
      g_cond_wait_until(&p->acked, &p->mutex, g_get_monotonic_time() + G_TIME_SPAN_SECOND);
    }
    g_mutex_unlock(&p->mutex);
  }
  return NULL;
}

static void WorkerPosts(GMainLoop* loop) {
  struct Post p;
  p.loop = loop;
  p.received = 0;
  g_mutex_init(&p.mutex);
  g_cond_init(&p.acked);
  GThread* worker = g_thread_new("worker", Worker, &p);
  g_main_loop_run(loop);
  g_thread_join(worker);
  Check("worker", p.received == 5, "each of five posts from a worker runs once");
  g_cond_clear(&p.acked);
  g_mutex_clear(&p.mutex);
}

int main(void) {
  GMainLoop* loop = g_main_loop_new(NULL, FALSE);
  OneShot(loop);
  Repeating(loop);
  Cancelled(loop);
  Rearmed(loop);
  ShortTimeoutRace(loop);
  WorkerPosts(loop);
  g_main_loop_unref(loop);
  printf("%s\n", g_failures == 0 ? "all ok" : "some failed");
  return g_failures == 0 ? 0 : 1;
}
