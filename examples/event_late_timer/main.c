// event_late_timer: a libevent program whose handshake rests on one short
// timer firing on time.
//
// A client connects and adds three libevent timers (evtimer_add, a macro
// over event_add):
//   - the greeting flush, 2 ms after connecting: writes are coalesced for a
//     moment, then the greeting goes out and the handshake is complete;
//   - the handshake deadline, 40 ms: if the greeting has not gone out by
//     then, the peer hangs up (exit 1);
//   - a stats tick, 1 ms: logs how many bytes are buffered, and nothing
//     depends on when.
// libevent activates expired timers in deadline order, so natively the flush
// always runs before the deadline, however late the loop gets to them.
// Under old timer semantics a short timer fires late: with
// TIMERSEM_SHORT=5ms and TIMERSEM_LAG=50ms the flush comes 50 ms after
// connecting, after the deadline. The stats tick is just as short and just
// as late, and harmless. Under new semantics short timers fire at once:
// still in order.
#include <event2/event.h>
#include <stdio.h>

static struct event *flush_timer, *deadline_timer, *stats_timer;
static int greeting_sent = 0;
static int peer_hung_up = 0;
static int buffered_bytes = 0;

static void FlushGreeting(evutil_socket_t fd, short what, void* arg) {
  (void)fd, (void)what, (void)arg;
  buffered_bytes = 0;
  greeting_sent = 1;
  evtimer_del(deadline_timer);  // handshake complete
}

static void HandshakeDeadline(evutil_socket_t fd, short what, void* arg) {
  (void)fd, (void)what, (void)arg;
  if (greeting_sent) return;  // a deadline that lost the race is harmless
  peer_hung_up = 1;
  evtimer_del(flush_timer);
}

static void LogStats(evutil_socket_t fd, short what, void* arg) {
  (void)fd, (void)what, (void)arg;
  fprintf(stderr, "stats: %d bytes buffered\n", buffered_bytes);
}

__attribute__((noinline)) static void ScheduleGreetingFlush(void) {
  struct timeval in = {0, 2000};
  evtimer_add(flush_timer, &in);  // CULPRIT
}

__attribute__((noinline)) static void StartHandshakeDeadline(void) {
  struct timeval in = {0, 40000};
  evtimer_add(deadline_timer, &in);
}

__attribute__((noinline)) static void StartStatsTick(void) {
  struct timeval in = {0, 1000};
  evtimer_add(stats_timer, &in);
}

int main(void) {
  struct event_base* base = event_base_new();
  if (base == NULL) return 2;
  flush_timer = evtimer_new(base, FlushGreeting, NULL);
  deadline_timer = evtimer_new(base, HandshakeDeadline, NULL);
  stats_timer = evtimer_new(base, LogStats, NULL);
  buffered_bytes = 42;  // the greeting, queued
  StartHandshakeDeadline();
  ScheduleGreetingFlush();
  StartStatsTick();
  event_base_dispatch(base);
  event_free(flush_timer);
  event_free(deadline_timer);
  event_free(stats_timer);
  event_base_free(base);
  if (peer_hung_up) {
    printf("the handshake deadline passed before the greeting was flushed: peer hung up\n");
    return 1;
  }
  printf("handshake complete\n");
  return 0;
}
