// libevent timers under the shim (tests/shim_libtimers_test.cc). argv[1]:
//   order          adds T (200 ms), Z (0 ms, low priority) and M (400 ms),
//                  in that order, and prints the order they ran in:
//                  "order ZTM" natively, "TZM" when T is activated at once
//                  (new: T outranks Z), "ZMT" when T comes after the lag
//                  (old, with TIMERSEM_SHORT=300ms and a 1 s lag).
//   stale_stop     a high-priority 0 ms timer B spins until a 1 ms timer T
//                  is due, then deletes it (event_del): prints
//                  "stale_runs N", how often T's callback ran (0 in every
//                  mode: a deleted event never runs).
//   stale_rearm    B re-adds the due T 30 ms ahead (event_add): T runs
//                  twice under old (the stale run, then the new deadline),
//                  once otherwise.
//   stale_destroy  B frees the due T (event_free): 0 in every mode.
//   loop_wait      one 3 ms timer: with TIMERSEM_SHORT=5ms the loop's
//                  epoll_wait would be a short wait; it must be no site.
//   tail_order     two 0 ms timers whose callbacks end in tail calls
//                  (tail_call.h) of event_add, adding T and U (200 ms, each
//                  with a callback of its own), and M (400 ms) from main:
//                  "order TUM" natively, with T or U last when its arming
//                  is old (TIMERSEM_SHORT=300ms, a 1 s lag); "order
//                  unsupported" where tail_call.S is not built.
//   persist        a persistent 300 ms timer P, and a 450 ms timer that
//                  ends the loop: prints "persist_fires N", P's runs
//                  before the end: 1 natively (at 300 ms), 2 under new with
//                  TIMERSEM_SHORT=300ms (at once, then at 300 ms: the
//                  interval kept), 0 under old with a 1 s lag.
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "tail_call.h"
#include "timer_util.h"

static char order[8];
static int order_len = 0;
static int stale_runs = 0;
static const char* behaviour;
static struct event* t;

#ifdef TAIL_CALLS
void* tail_call_a[5];
void* tail_call_b[5];
static struct timeval tail_timeout = {0, 200000};

static void MarkT(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  (void)arg;
  order[order_len++] = 'T';
}

static void MarkU(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  (void)arg;
  order[order_len++] = 'U';
}
#endif

static void Mark(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  order[order_len++] = *(const char*)arg;
}

static void CountRun(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  (void)arg;
  ++stale_runs;
}

static void StopDueTimer(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  (void)arg;
  SpinNs(5000000);  // T (1 ms) is due now; the loop has not run it
  if (strcmp(behaviour, "stale_stop") == 0) event_del(t);
  if (strcmp(behaviour, "stale_rearm") == 0) {
    struct timeval later = {0, 30000};
    event_add(t, &later);
  }
  if (strcmp(behaviour, "stale_destroy") == 0) {
    event_free(t);
    t = NULL;
  }
}

static int persist_fires = 0;

static void CountPersist(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)arg;
  if (what & EV_TIMEOUT) ++persist_fires;
}

static void EndLoop(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  event_base_loopbreak((struct event_base*)arg);
}

static struct event* Timer(struct event_base* base, event_callback_fn cb, void* arg, int priority,
                           long us) {
  struct event* ev = evtimer_new(base, cb, arg);
  event_priority_set(ev, priority);
  struct timeval tv = {us / 1000000, us % 1000000};
  evtimer_add(ev, &tv);
  return ev;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  behaviour = argv[1];
  struct event_base* base = event_base_new();
  if (base == NULL || event_base_priority_init(base, 2) != 0) return 1;
  struct event* others[5] = {NULL, NULL, NULL, NULL, NULL};
  if (strcmp(behaviour, "order") == 0) {
    others[0] = Timer(base, Mark, "T", 0, 200000);
    others[1] = Timer(base, Mark, "Z", 1, 0);
    others[2] = Timer(base, Mark, "M", 0, 400000);
    event_base_dispatch(base);
    printf("order %s\n", order);
  } else if (strcmp(behaviour, "persist") == 0) {
    t = event_new(base, -1, EV_PERSIST, CountPersist, NULL);
    struct timeval interval = {0, 300000};
    event_add(t, &interval);
    others[0] = Timer(base, EndLoop, base, 1, 450000);
    event_base_dispatch(base);
    printf("persist_fires %d\n", persist_fires);
  } else if (strncmp(behaviour, "stale_", 6) == 0) {
    others[0] = Timer(base, StopDueTimer, NULL, 0, 0);
    t = Timer(base, CountRun, NULL, 1, 1000);
    event_base_dispatch(base);
    printf("stale_runs %d\n", stale_runs);
  } else if (strcmp(behaviour, "loop_wait") == 0) {
    t = Timer(base, CountRun, NULL, 0, 3000);
    event_base_dispatch(base);
  } else if (strcmp(behaviour, "tail_order") == 0) {
#ifdef TAIL_CALLS
    t = evtimer_new(base, MarkT, NULL);
    others[0] = evtimer_new(base, MarkU, NULL);
    void* add_t[5] = {(void*)event_add, t, &tail_timeout, NULL, NULL};
    void* add_u[5] = {(void*)event_add, others[0], &tail_timeout, NULL, NULL};
    memcpy(tail_call_a, add_t, sizeof add_t);
    memcpy(tail_call_b, add_u, sizeof add_u);
    others[1] = Timer(base, (event_callback_fn)tail_caller_a, NULL, 0, 0);
    others[2] = Timer(base, (event_callback_fn)tail_caller_b, NULL, 0, 0);
    others[3] = Timer(base, Mark, "M", 0, 400000);
    event_base_dispatch(base);
    printf("order %s\n", order);
#else
    printf("order unsupported\n");
#endif
  } else {
    return 2;
  }
  for (int i = 0; i < 5; ++i) {
    if (others[i] != NULL) event_free(others[i]);
  }
  if (t != NULL) event_free(t);
  event_base_free(base);
  return 0;
}
