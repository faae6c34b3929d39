// sd_late_timer: a systemd sd-event program whose handshake rests on one
// short timer firing on time.
//
// A client connects and adds three sd-event time sources
// (sd_event_add_time, CLOCK_MONOTONIC, 1 µs accuracy so that sd-event does
// not coalesce them):
//   - the greeting flush, 2 ms after connecting, at high priority: writes
//     are coalesced for a moment, then the greeting goes out and the
//     handshake is complete;
//   - the handshake deadline, 20 ms: if the greeting has not gone out by
//     then, the peer hangs up (exit 1);
//   - a stats tick, 1 ms: logs how many bytes are buffered, and nothing
//     depends on when.
// sd-event dispatches due sources by priority, so natively the flush always
// runs before the deadline, however late the loop gets to them. Under old
// timer semantics a short timer fires late: with TIMERSEM_SHORT=5ms and
// TIMERSEM_LAG=50ms the flush comes 50 ms after connecting, 30 ms after the
// deadline. The stats tick is just as short and just as late, and
// harmless. Under new semantics short timers fire at once: still in order.
#include <stdio.h>
#include <systemd/sd-event.h>
#include <time.h>

static sd_event* loop;
static sd_event_source *flush_timer, *deadline_timer, *stats_timer;
static int greeting_sent = 0;
static int peer_hung_up = 0;
static int buffered_bytes = 0;
static int settled = 0;  // the handshake's outcome and the stats tick

static void Settle(void) {
  if (++settled == 2) sd_event_exit(loop, 0);
}

static int Flush(sd_event_source* s, uint64_t usec, void* data) {
  (void)s, (void)usec, (void)data;
  buffered_bytes = 0;
  greeting_sent = 1;
  sd_event_source_set_enabled(deadline_timer, SD_EVENT_OFF);  // handshake complete
  Settle();
  return 0;
}

static int HandshakeDeadline(sd_event_source* s, uint64_t usec, void* data) {
  (void)s, (void)usec, (void)data;
  if (greeting_sent) return 0;  // a deadline that lost the race is harmless
  peer_hung_up = 1;
  sd_event_source_set_enabled(flush_timer, SD_EVENT_OFF);
  Settle();
  return 0;
}

static int LogStats(sd_event_source* s, uint64_t usec, void* data) {
  (void)s, (void)usec, (void)data;
  fprintf(stderr, "stats: %d bytes buffered\n", buffered_bytes);
  Settle();
  return 0;
}

static uint64_t In(uint64_t us) {
  uint64_t now = 0;
  sd_event_now(loop, CLOCK_MONOTONIC, &now);
  return now + us;
}

__attribute__((noinline)) static void ScheduleGreetingFlush(void) {
  sd_event_add_time(loop, &flush_timer, CLOCK_MONOTONIC, In(2000), 1, Flush, NULL);  // CULPRIT
  sd_event_source_set_priority(flush_timer, SD_EVENT_PRIORITY_IMPORTANT);
}

__attribute__((noinline)) static void StartHandshakeDeadline(void) {
  sd_event_add_time(loop, &deadline_timer, CLOCK_MONOTONIC, In(20000), 1, HandshakeDeadline, NULL);
}

__attribute__((noinline)) static void StartStatsTick(void) {
  sd_event_add_time(loop, &stats_timer, CLOCK_MONOTONIC, In(1000), 1, LogStats, NULL);
}

int main(void) {
  if (sd_event_new(&loop) < 0) return 2;
  buffered_bytes = 42;  // the greeting, queued
  StartHandshakeDeadline();
  ScheduleGreetingFlush();
  StartStatsTick();
  sd_event_loop(loop);
  sd_event_source_unref(flush_timer);
  sd_event_source_unref(deadline_timer);
  sd_event_source_unref(stats_timer);
  sd_event_unref(loop);
  if (peer_hung_up) {
    printf("the handshake deadline passed before the greeting was flushed: peer hung up\n");
    return 1;
  }
  printf("handshake complete\n");
  return 0;
}
