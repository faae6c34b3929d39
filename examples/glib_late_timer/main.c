// glib_late_timer: a GLib program whose handshake rests on one short
// timeout firing on time.
//
// A client connects and adds three GLib timeouts:
//   - the greeting flush, 2 ms after connecting, at high priority: writes
//     are coalesced for a moment, then the greeting goes out and the
//     handshake is complete;
//   - the handshake deadline, 20 ms: if the greeting has not gone out by
//     then, the peer hangs up (exit 1);
//   - a stats tick, 1 ms: logs how many bytes are buffered, and nothing
//     depends on when.
// Natively the flush runs long before the deadline, and should the loop get
// to both at once, the flush's priority runs it first. Under old timer
// semantics a short timeout fires late: with TIMERSEM_SHORT=5ms and
// TIMERSEM_LAG=50ms the flush comes 50 ms after connecting, after the
// deadline. The stats tick is just as short and just as late, and harmless.
// Under new semantics short timeouts are ready at once: the flush still wins.
#include <glib.h>
#include <stdio.h>

static GMainLoop* loop;
static guint flush_id, deadline_id;
static int greeting_sent = 0;
static int peer_hung_up = 0;
static int stats_logged = 0;
static int buffered_bytes = 0;

static void QuitWhenDone(void) {
  if ((greeting_sent || peer_hung_up) && stats_logged) g_main_loop_quit(loop);
}

static gboolean FlushGreeting(gpointer data) {
  (void)data;
  buffered_bytes = 0;
  greeting_sent = 1;
  g_source_remove(deadline_id);  // handshake complete
  QuitWhenDone();
  return G_SOURCE_REMOVE;
}

static gboolean HandshakeDeadline(gpointer data) {
  (void)data;
  if (!greeting_sent) {
    peer_hung_up = 1;
    g_source_remove(flush_id);
  }
  QuitWhenDone();
  return G_SOURCE_REMOVE;
}

static gboolean LogStats(gpointer data) {
  (void)data;
  fprintf(stderr, "stats: %d bytes buffered\n", buffered_bytes);
  stats_logged = 1;
  QuitWhenDone();
  return G_SOURCE_REMOVE;
}

__attribute__((noinline)) static void ScheduleGreetingFlush(void) {
  flush_id = g_timeout_add_full(G_PRIORITY_HIGH, 2, FlushGreeting, NULL, NULL);  // CULPRIT
}

__attribute__((noinline)) static void StartHandshakeDeadline(void) {
  deadline_id = g_timeout_add(20, HandshakeDeadline, NULL);
}

__attribute__((noinline)) static void StartStatsTick(void) {
  g_timeout_add(1, LogStats, NULL);
}

int main(void) {
  loop = g_main_loop_new(NULL, FALSE);
  buffered_bytes = 42;  // the greeting, queued
  StartHandshakeDeadline();
  ScheduleGreetingFlush();
  StartStatsTick();
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  if (peer_hung_up) {
    printf("the handshake deadline passed before the greeting was flushed: peer hung up\n");
    return 1;
  }
  printf("handshake complete\n");
  return 0;
}
