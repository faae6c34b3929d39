// systemd sd-event timers under the shim (tests/shim_libtimers_test.cc).
// argv[1]:
//   order          adds T (200 ms, sd_event_add_time), Z (0 ms, low
//                  priority, sd_event_add_time_relative) and M (400 ms),
//                  in that order, and prints the order they ran in:
//                  "order ZTM" natively, "TZM" when T is due at once (new:
//                  T outranks Z), "ZMT" when T comes after the lag (old,
//                  with TIMERSEM_SHORT=300ms and a 1 s lag).
//   stale_stop     a high-priority 0 ms timer B spins until a 1 ms timer T
//                  is due, then turns it off (sd_event_source_set_enabled
//                  OFF): prints "stale_runs N", how often T's handler ran
//                  (1 under old: the due handler still runs; 0 otherwise).
//   stale_rearm    B re-arms the due T 30 ms ahead (sd_event_source_set_time):
//                  T runs twice under old (the stale run, then the new
//                  time), once otherwise.
//   stale_rearm_relative  the same with sd_event_source_set_time_relative.
//   stale_destroy  B destroys the due T (sd_event_source_unref): 0 in every
//                  mode.
//   stale_stop_destroy  B turns the due T off, then destroys it: 0 in every
//                  mode (the stale run old left behind is dropped).
//   stale_disable_unref  B destroys it with sd_event_source_disable_unref:
//                  0 in every mode.
//   floating       T (1 ms) is a floating source (a null `ret`): it runs
//                  once ("runs 1"), and the loop owns it: freeing the loop
//                  frees T, whose destroy callback then runs ("notified 1").
//   periodic       sd-event's periodic pattern: an SD_EVENT_ON source whose
//                  handler re-arms it 1 ms after the time it was due, ten
//                  times: prints "runs 10", "repeats 0" in every mode (the
//                  expiry whose handler is running is owed no stale run;
//                  a repeat is a second call with the same time), and
//                  "period_kept N", the runs due exactly 1 ms after the one
//                  before (9 in every mode, even with TIMERSEM_SHORT
//                  above 1 ms: the re-arm is the timer's repeat).
//   loop_wait      one 3 ms timer, run by sd_event_run with a 4 ms timeout:
//                  with TIMERSEM_SHORT=5ms the loop's epoll wait and its
//                  timerfd would be sites; they must be none.
//   ratelimit      a CLOCK_BOOTTIME timer that quits after 50 ms, and a
//                  defer source rate-limited to once per 5 ms: libsystemd
//                  makes its CLOCK_MONOTONIC timerfd itself, in the loop,
//                  to end the rate limit; that timerfd must be no site.
// T's destroy callback must run exactly once, after its last run
// ("notified 1").
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "timer_util.h"

static char order[8];
static int order_len = 0;
static int stale_runs = 0;
static int notified = 0;
static int notified_before_run = 0;
static const char* behaviour;
static sd_event* loop;
static sd_event_source* t;

static int Mark(sd_event_source* s, uint64_t usec, void* data) {
  (void)s, (void)usec;
  order[order_len++] = *(const char*)data;
  if (order_len == 3) sd_event_exit(loop, 0);
  return 0;
}

static void Notify(void* data) {
  (void)data;
  ++notified;
}

static int CountRun(sd_event_source* s, uint64_t usec, void* data) {
  (void)usec, (void)data;
  ++stale_runs;
  if (notified) notified_before_run = 1;
  if (strcmp(behaviour, "floating") == 0) sd_event_source_set_destroy_callback(s, Notify);
  return 0;
}

static int Quit(sd_event_source* s, uint64_t usec, void* data) {
  (void)s, (void)usec, (void)data;
  sd_event_exit(loop, 0);
  return 0;
}

static int Busy(sd_event_source* s, void* data) {
  (void)s, (void)data;
  ++stale_runs;
  return 0;
}

static uint64_t last_usec = 0;
static int repeats = 0;
static int period_kept = 0;

static int Periodic(sd_event_source* s, uint64_t usec, void* data) {
  (void)data;
  if (usec == last_usec) ++repeats;
  if (last_usec != 0 && usec == last_usec + 1000) ++period_kept;
  last_usec = usec;
  if (++stale_runs == 10) return sd_event_exit(loop, 0);
  sd_event_source_set_enabled(s, SD_EVENT_ON);
  return sd_event_source_set_time(s, usec + 1000);
}

static uint64_t NowUs(void) {
  uint64_t now = 0;
  sd_event_now(loop, CLOCK_MONOTONIC, &now);
  return now;
}

static int StopDueTimer(sd_event_source* s, uint64_t usec, void* data) {
  (void)s, (void)usec, (void)data;
  SpinNs(5000000);  // T (1 ms) is due now; the loop has not dispatched it
  if (strcmp(behaviour, "stale_stop") == 0) sd_event_source_set_enabled(t, SD_EVENT_OFF);
  if (strcmp(behaviour, "stale_rearm") == 0) sd_event_source_set_time(t, NowUs() + 30000);
  if (strcmp(behaviour, "stale_rearm_relative") == 0) sd_event_source_set_time_relative(t, 30000);
  if (strcmp(behaviour, "stale_destroy") == 0) t = sd_event_source_unref(t);
  if (strcmp(behaviour, "stale_stop_destroy") == 0) {
    sd_event_source_set_enabled(t, SD_EVENT_OFF);
    t = sd_event_source_unref(t);
  }
  if (strcmp(behaviour, "stale_disable_unref") == 0) t = sd_event_source_disable_unref(t);
  return 0;
}

static sd_event_source* Timer(int relative, uint64_t usec, int64_t priority,
                              sd_event_time_handler_t handler, void* data) {
  sd_event_source* s = NULL;
  int r = relative ? sd_event_add_time_relative(loop, &s, CLOCK_MONOTONIC, usec, 1, handler, data)
                   : sd_event_add_time(loop, &s, CLOCK_MONOTONIC, usec, 1, handler, data);
  if (r < 0) return NULL;
  sd_event_source_set_priority(s, priority);
  return s;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  behaviour = argv[1];
  if (sd_event_new(&loop) < 0) return 1;
  sd_event_source* others[3] = {NULL, NULL, NULL};
  if (strcmp(behaviour, "order") == 0) {
    others[0] = Timer(0, NowUs() + 200000, 0, Mark, "T");
    others[1] = Timer(1, 0, 1, Mark, "Z");
    others[2] = Timer(1, 400000, 0, Mark, "M");
    sd_event_loop(loop);
    printf("order %s\n", order);
  } else if (strcmp(behaviour, "floating") == 0) {
    if (sd_event_add_time_relative(loop, NULL, CLOCK_MONOTONIC, 1000, 1, CountRun, NULL) < 0 ||
        sd_event_add_time_relative(loop, NULL, CLOCK_MONOTONIC, 20000, 1, Quit, NULL) < 0) {
      return 1;
    }
    sd_event_loop(loop);
    printf("runs %d\n", stale_runs);
    loop = sd_event_unref(loop);
    printf("notified %d\n", notified);
    return loop == NULL ? 0 : 1;
  } else if (strncmp(behaviour, "stale_", 6) == 0) {
    others[0] = Timer(1, 0, -10, StopDueTimer, NULL);
    t = Timer(1, 1000, 0, CountRun, NULL);
    sd_event_source_set_destroy_callback(t, Notify);
    others[1] = Timer(1, 200000, 10, Quit, NULL);
    sd_event_loop(loop);
    printf("stale_runs %d\n", stale_runs);
    t = sd_event_source_unref(t);
    printf("notified %d%s\n", notified, notified_before_run ? " before a run" : "");
  } else if (strcmp(behaviour, "ratelimit") == 0) {
    if (sd_event_add_time_relative(loop, &t, CLOCK_BOOTTIME, 50000, 1, Quit, NULL) < 0 ||
        sd_event_add_defer(loop, &others[0], Busy, NULL) < 0 ||
        sd_event_source_set_ratelimit(others[0], 5000, 1) < 0 ||
        sd_event_source_set_enabled(others[0], SD_EVENT_ON) < 0) {
      return 1;
    }
    sd_event_loop(loop);
    printf("runs %d\n", stale_runs > 1);
  } else if (strcmp(behaviour, "periodic") == 0) {
    t = Timer(0, NowUs(), 0, Periodic, NULL);
    sd_event_loop(loop);
    printf("runs %d\nrepeats %d\nperiod_kept %d\n", stale_runs, repeats, period_kept);
  } else if (strcmp(behaviour, "loop_wait") == 0) {
    t = Timer(1, 3000, 0, Quit, NULL);
    while (sd_event_get_state(loop) != SD_EVENT_FINISHED) {
      if (sd_event_run(loop, 4000) < 0) break;
    }
  } else {
    return 2;
  }
  for (int i = 0; i < 3; ++i) sd_event_source_unref(others[i]);
  sd_event_source_unref(t);
  sd_event_unref(loop);
  return 0;
}
