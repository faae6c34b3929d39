// uv_late_timer: a libuv program whose handshake rests on one short timer
// firing on time.
//
// A client connects and arms three libuv timers:
//   - the greeting flush, 2 ms after connecting: writes are coalesced for a
//     moment, then the greeting goes out and the handshake is complete;
//   - the handshake deadline, 40 ms: if the greeting has not gone out by
//     then, the peer hangs up (exit 1);
//   - a stats tick, 1 ms: logs how many bytes are buffered, and nothing
//     depends on when.
// libuv runs due timers in deadline order, so natively the flush always runs
// before the deadline, however late the loop gets to them. Under old timer
// semantics a short timer fires late: with TIMERSEM_SHORT=5ms and
// TIMERSEM_LAG=50ms the flush comes 50 ms after connecting, after the
// deadline. The stats tick is just as short and just as late, and harmless.
// Under new semantics short timers fire at once: still in order.
#include <stdio.h>
#include <uv.h>

static uv_timer_t flush_timer, deadline_timer, stats_timer;
static int greeting_sent = 0;
static int peer_hung_up = 0;
static int buffered_bytes = 0;

static void FlushGreeting(uv_timer_t* timer) {
  (void)timer;
  buffered_bytes = 0;
  greeting_sent = 1;
  uv_timer_stop(&deadline_timer);  // handshake complete
}

static void HandshakeDeadline(uv_timer_t* timer) {
  (void)timer;
  if (greeting_sent) return;  // a deadline that lost the race is harmless
  peer_hung_up = 1;
  uv_timer_stop(&flush_timer);
}

static void LogStats(uv_timer_t* timer) {
  (void)timer;
  fprintf(stderr, "stats: %d bytes buffered\n", buffered_bytes);
}

__attribute__((noinline)) static void ScheduleGreetingFlush(void) {
  uv_timer_start(&flush_timer, FlushGreeting, 2, 0);  // CULPRIT
}

__attribute__((noinline)) static void StartHandshakeDeadline(void) {
  uv_timer_start(&deadline_timer, HandshakeDeadline, 40, 0);
}

__attribute__((noinline)) static void StartStatsTick(void) {
  uv_timer_start(&stats_timer, LogStats, 1, 0);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_timer_init(loop, &flush_timer);
  uv_timer_init(loop, &deadline_timer);
  uv_timer_init(loop, &stats_timer);
  buffered_bytes = 42;  // the greeting, queued
  StartHandshakeDeadline();
  ScheduleGreetingFlush();
  StartStatsTick();
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t*)&flush_timer, NULL);
  uv_close((uv_handle_t*)&deadline_timer, NULL);
  uv_close((uv_handle_t*)&stats_timer, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  if (peer_hung_up) {
    printf("the handshake deadline passed before the greeting was flushed: peer hung up\n");
    return 1;
  }
  printf("handshake complete\n");
  return 0;
}
