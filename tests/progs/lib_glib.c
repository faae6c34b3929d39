// GLib timeouts under the shim (tests/shim_libtimers_test.cc). argv[1]:
//   order          adds T (200 ms), Z (0 ms, low priority) and M (400 ms),
//                  in that order, and prints the order they ran in:
//                  "order ZTM" natively, "TZM" when T is ready at once
//                  (new: T outranks Z), "ZMT" when T comes after the lag
//                  (old, with TIMERSEM_SHORT=300ms and a 1 s lag).
//   stale_stop     a high-priority 0 ms timeout B spins until a 1 ms
//                  timeout T is due, then removes it (g_source_remove):
//                  prints "stale_runs N", how often T's callback ran (0 in
//                  every mode: a destroyed timeout never runs).
//   stale_rearm    B re-arms the due T 30 ms ahead (g_source_set_ready_time):
//                  T runs twice under old (the stale run, then the new
//                  deadline), once otherwise.
//   stale_destroy  B destroys the due T (g_source_destroy): 0 in every
//                  mode.
//   loop_wait      one 3 ms timeout: with TIMERSEM_SHORT=5ms the loop's
//                  poll would be a short wait; it must be no site.
//   by_user_data   adds a 100 ms timeout with data D, finds it with
//                  g_main_context_find_source_by_user_data and removes it
//                  with g_source_remove_by_user_data(D): prints "found 1
//                  removed 1 runs 0" in every mode (old wraps the callback).
//   by_user_data_once  the same with g_timeout_add_once (the shim wraps a
//                  once callback in every active mode).
//   tail_order     T and U (200 ms, each with a callback of its own) are
//                  armed by tail calls (tail_call.h) of g_timeout_add: T's
//                  from a g_timeout_add_once callback (which the shim
//                  wraps), U's from a GDestroyNotify (which GLib calls
//                  itself); M (400 ms) from main: "order TUM" natively,
//                  with T or U last when its arming is old
//                  (TIMERSEM_SHORT=300ms, a 1 s lag); "order unsupported"
//                  where tail_call.S is not built.
// T's GDestroyNotify must run exactly once, after its last run
// ("notified 1").
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "tail_call.h"
#include "timer_util.h"

static char order[8];
static int order_len = 0;
static int stale_runs = 0;
static int notified = 0;
static int notified_before_run = 0;
static guint t_id;
static const char* behaviour;
static GMainLoop* loop;

static gboolean Mark(gpointer data) {
  order[order_len++] = *(const char*)data;
  if (order_len == 3) g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

void* tail_call_a[5];
void* tail_call_b[5];

static gboolean MarkT(gpointer data) {
  return Mark(data);
}

static gboolean MarkU(gpointer data) {
  return Mark(data);
}

static gboolean RemoveAtOnce(gpointer data) {
  (void)data;
  return G_SOURCE_REMOVE;
}

static gboolean CountRun(gpointer data) {
  (void)data;
  ++stale_runs;
  if (notified) notified_before_run = 1;
  return G_SOURCE_REMOVE;
}

static void CountOnce(gpointer data) {
  (void)data;
  ++stale_runs;
}

static void Notify(gpointer data) {
  (void)data;
  ++notified;
}

static gboolean Quit(gpointer data) {
  (void)data;
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

static gboolean StopDueTimer(gpointer data) {
  (void)data;
  SpinNs(5000000);  // T (1 ms) is due now; the loop has not dispatched it
  GSource* t = g_main_context_find_source_by_id(NULL, t_id);
  if (strcmp(behaviour, "stale_stop") == 0) g_source_remove(t_id);
  if (strcmp(behaviour, "stale_rearm") == 0)
    g_source_set_ready_time(t, g_get_monotonic_time() + 30000);
  if (strcmp(behaviour, "stale_destroy") == 0) g_source_destroy(t);
  return G_SOURCE_REMOVE;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  behaviour = argv[1];
  loop = g_main_loop_new(NULL, FALSE);
  if (strcmp(behaviour, "order") == 0) {
    g_timeout_add(200, Mark, "T");
    g_timeout_add_full(G_PRIORITY_LOW, 0, Mark, "Z", NULL);
    g_timeout_add(400, Mark, "M");
    g_main_loop_run(loop);
    printf("order %s\n", order);
  } else if (strcmp(behaviour, "tail_order") == 0) {
#ifdef TAIL_CALLS
    void* add_t[5] = {(void*)g_timeout_add, (void*)(guintptr)200, (void*)MarkT, "T", NULL};
    void* add_u[5] = {(void*)g_timeout_add, (void*)(guintptr)200, (void*)MarkU, "U", NULL};
    memcpy(tail_call_a, add_t, sizeof add_t);
    memcpy(tail_call_b, add_u, sizeof add_u);
    g_timeout_add_once(0, (GSourceOnceFunc)tail_caller_a, NULL);
    g_timeout_add_full(G_PRIORITY_DEFAULT, 0, RemoveAtOnce, NULL, (GDestroyNotify)tail_caller_b);
    g_timeout_add(400, Mark, "M");
    g_main_loop_run(loop);
    printf("order %s\n", order);
#else
    printf("order unsupported\n");
#endif
  } else if (strncmp(behaviour, "stale_", 6) == 0) {
    g_timeout_add_full(G_PRIORITY_HIGH, 0, StopDueTimer, NULL, NULL);
    t_id = g_timeout_add_full(G_PRIORITY_DEFAULT, 1, CountRun, NULL, Notify);
    g_timeout_add_full(G_PRIORITY_LOW, 200, Quit, NULL, NULL);
    g_main_loop_run(loop);
    printf("stale_runs %d\n", stale_runs);
    printf("notified %d%s\n", notified, notified_before_run ? " before a run" : "");
  } else if (strcmp(behaviour, "by_user_data") == 0 ||
             strcmp(behaviour, "by_user_data_once") == 0) {
    static int d;
    if (strcmp(behaviour, "by_user_data") == 0) {
      g_timeout_add(100, CountRun, &d);
    } else {
      g_timeout_add_once(100, CountOnce, &d);
    }
    g_timeout_add(200, Quit, NULL);
    int found = g_main_context_find_source_by_user_data(NULL, &d) != NULL;
    int removed = g_source_remove_by_user_data(&d);
    g_main_loop_run(loop);
    printf("found %d removed %d runs %d\n", found, removed, stale_runs);
  } else if (strcmp(behaviour, "loop_wait") == 0) {
    g_timeout_add(3, Quit, NULL);
    g_main_loop_run(loop);
  } else {
    return 2;
  }
  g_main_loop_unref(loop);
  return 0;
}
