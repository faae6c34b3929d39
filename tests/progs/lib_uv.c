// libuv timers under the shim (tests/shim_libtimers_test.cc). argv[1]:
//   order        arms T (2 ms), Z (0 ms) and M (20 ms), in that order, and
//                prints the order they ran in: "order ZTM" natively (libuv
//                runs due timers by deadline), "TZM" when T fires at once
//                (new), "ZMT" when T fires after the lag (old, with
//                TIMERSEM_SHORT=5ms and a 50 ms lag).
//   stale_stop   a 0 ms timer B spins until a 1 ms timer T is due, then
//                stops T: prints "stale_runs N", how often T's callback ran
//                (1 under old: the due callback still runs; 0 otherwise).
//   stale_rearm  B re-arms the due T for 30 ms instead: T runs twice under
//                old (the stale run and the new deadline), once otherwise.
//   stale_destroy  B closes the due T: it never runs, in every mode.
//   loop_wait    a 3 ms timer, then uv_run: with TIMERSEM_SHORT=5ms the
//                loop's epoll_wait would be a short wait; it must not be a
//                site once uv timers are.
//   tail_order   two 0 ms timers whose callbacks end in tail calls
//                (tail_call.h) of uv_timer_start, arming T and U (2 ms, each
//                with a callback of its own), and M (20 ms) from main:
//                prints "order TUM" natively, with T or U last when its
//                arming is old (TIMERSEM_SHORT=5ms, a 50 ms lag); "order
//                unsupported" where tail_call.S is not built.
//   tail_check   tail_order, then exits 1 when T ran after M (a test for
//                the driver: only T's arming, made in a tail call, fails).
//   stale_many   2000 timers of 1 ms; a 0 ms timer B spins until they are
//                due, then stops every one: prints "stale_runs N" (2000
//                under old, each due callback still runs; 0 otherwise).
//   callback_poll  a 0 ms timer whose callback makes a 2 ms poll of its
//                own (no descriptors): the program's wait, a site like any
//                other (with TIMERSEM_SHORT=5ms), unlike the loop's own.
//   stale_walk   main stops the due 1 ms timer T before uv_run (under old a
//                stale run is then pending), walks the loop's handles with
//                uv_walk and runs the loop: prints "walked 7 foreign 0
//                stale_runs N" (the program's 7 timers, none of the shim's:
//                a program may close, free or read every handle it walks).
// Exit 0 unless libuv fails.
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "tail_call.h"
#include "timer_util.h"

static char order[8];
static int order_len = 0;
static int stale_runs = 0;
static uv_timer_t t, z, m, b, u, ra, rb;

#ifdef TAIL_CALLS
void* tail_call_a[5];
void* tail_call_b[5];
#endif
static const char* behaviour;

static void Mark(uv_timer_t* timer) {
  order[order_len++] = *(const char*)timer->data;
}

static void MarkT(uv_timer_t* timer) {
  (void)timer;
  order[order_len++] = 'T';
}

static void MarkU(uv_timer_t* timer) {
  (void)timer;
  order[order_len++] = 'U';
}

static void CountRun(uv_timer_t* timer) {
  (void)timer;
  ++stale_runs;
}

static int walked = 0, foreign = 0;

static volatile int polled = -1;

enum { kMany = 2000 };
static uv_timer_t many[kMany];

static void StopAllDue(uv_timer_t* timer) {
  (void)timer;
  SpinNs(5000000);  // every 1 ms timer is due; the loop has run none
  for (int i = 0; i < kMany; ++i) uv_timer_stop(&many[i]);
}

static void PollInCallback(uv_timer_t* timer) {
  (void)timer;
  polled = poll(NULL, 0, 2);  // not a tail call: its result is kept
}

static void CountWalked(uv_handle_t* handle, void* arg) {
  (void)arg;
  ++walked;
  uv_handle_t* ours[] = {(uv_handle_t*)&t, (uv_handle_t*)&z,  (uv_handle_t*)&m, (uv_handle_t*)&b,
                         (uv_handle_t*)&u, (uv_handle_t*)&ra, (uv_handle_t*)&rb};
  int known = 0;
  for (size_t i = 0; i < sizeof ours / sizeof ours[0]; ++i) known |= handle == ours[i];
  if (!known) ++foreign;
}

static void StopDueTimer(uv_timer_t* timer) {
  (void)timer;
  SpinNs(5000000);  // T (1 ms) is due now; the loop has not run it yet
  if (strcmp(behaviour, "stale_stop") == 0) uv_timer_stop(&t);
  if (strcmp(behaviour, "stale_rearm") == 0) uv_timer_start(&t, CountRun, 30, 0);
  if (strcmp(behaviour, "stale_destroy") == 0) uv_close((uv_handle_t*)&t, NULL);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  behaviour = argv[1];
  uv_loop_t* loop = uv_default_loop();
  uv_timer_init(loop, &t);
  uv_timer_init(loop, &z);
  uv_timer_init(loop, &m);
  uv_timer_init(loop, &b);
  uv_timer_init(loop, &u);
  uv_timer_init(loop, &ra);
  uv_timer_init(loop, &rb);
  if (strcmp(behaviour, "order") == 0) {
    t.data = "T";
    z.data = "Z";
    m.data = "M";
    uv_timer_start(&t, Mark, 2, 0);
    uv_timer_start(&z, Mark, 0, 0);
    uv_timer_start(&m, Mark, 20, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    printf("order %s\n", order);
  } else if (strcmp(behaviour, "stale_many") == 0) {
    uv_timer_start(&b, StopAllDue, 0, 0);
    for (int i = 0; i < kMany; ++i) {
      uv_timer_init(loop, &many[i]);
      uv_timer_start(&many[i], CountRun, 1, 0);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    printf("stale_runs %d\n", stale_runs);
    for (int i = 0; i < kMany; ++i) uv_close((uv_handle_t*)&many[i], NULL);
  } else if (strcmp(behaviour, "callback_poll") == 0) {
    uv_timer_start(&t, PollInCallback, 0, 0);
    uv_run(loop, UV_RUN_DEFAULT);
  } else if (strcmp(behaviour, "stale_walk") == 0) {
    uv_timer_start(&t, CountRun, 1, 0);
    SpinNs(5000000);    // T is due now; the loop has not run
    uv_timer_stop(&t);  // outside the loop: under old its stale run waits
    uv_walk(loop, CountWalked, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    printf("walked %d foreign %d stale_runs %d\n", walked, foreign, stale_runs);
  } else if (strncmp(behaviour, "stale_", 6) == 0) {
    uv_timer_start(&b, StopDueTimer, 0, 0);
    uv_timer_start(&t, CountRun, 1, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    printf("stale_runs %d\n", stale_runs);
  } else if (strcmp(behaviour, "loop_wait") == 0) {
    uv_timer_start(&t, CountRun, 3, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    printf("runs %d\n", stale_runs);
  } else if (strncmp(behaviour, "tail_", 5) == 0) {
#ifdef TAIL_CALLS
    void* arm_t[5] = {(void*)uv_timer_start, &t, (void*)MarkT, (void*)2, (void*)0};
    void* arm_u[5] = {(void*)uv_timer_start, &u, (void*)MarkU, (void*)2, (void*)0};
    memcpy(tail_call_a, arm_t, sizeof arm_t);
    memcpy(tail_call_b, arm_u, sizeof arm_u);
    m.data = "M";
    uv_timer_start(&ra, (uv_timer_cb)tail_caller_a, 0, 0);
    uv_timer_start(&rb, (uv_timer_cb)tail_caller_b, 0, 0);
    uv_timer_start(&m, Mark, 20, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    printf("order %s\n", order);
#else
    printf("order unsupported\n");
#endif
  } else {
    return 2;
  }
  uv_close((uv_handle_t*)&u, NULL);
  uv_close((uv_handle_t*)&ra, NULL);
  uv_close((uv_handle_t*)&rb, NULL);
  uv_close((uv_handle_t*)&z, NULL);
  uv_close((uv_handle_t*)&m, NULL);
  uv_close((uv_handle_t*)&b, NULL);
  if (!uv_is_closing((uv_handle_t*)&t)) uv_close((uv_handle_t*)&t, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  if (uv_loop_close(loop) != 0) return 1;
  const char* late_t = strchr(order, 'T');
  return strcmp(behaviour, "tail_check") == 0 && late_t != NULL && late_t > strchr(order, 'M');
}
