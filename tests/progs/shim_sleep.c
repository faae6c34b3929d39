// Sleeps of 10 us, one behaviour per argument; each prints "key value"
// lines.
//   API          one 10 us sleep        -> "ret N", "elapsed_ns N" (real
//                time, CLOCK_MONOTONIC_RAW), "clock_elapsed_ns N" (what the
//                thread's CLOCK_MONOTONIC says: ahead after new, which
//                returns at once, by the time asked for)
//                API: nanosleep clock_nanosleep clock_nanosleep_abs (an
//                absolute deadline already past) clock_nanosleep_abs_realtime
//                clock_nanosleep_abs_tai (an absolute deadline 20 us ahead on
//                CLOCK_REALTIME or CLOCK_TAI) clock_nanosleep_2_2_5 (the
//                old symbol version) usleep thrd_sleep sleep (1 s: run with
//                TIMERSEM_SHORT >= 1s)
//   zero         every API with a zero request -> "ret_sum N", "elapsed_ns N"
//   eintr API [MS]  a SIGALRM 100 ms (or MS ms) into the sleep (handler
//                without SA_RESTART; from setitimer, or for sleep from a
//                thread) -> "ret N", "eintr 0|1", "rem_ns N" (where the API
//                has one); sleep sleeps 2 s with MS
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

// The GLIBC_2.2.5 clock_nanosleep (from librt before glibc 2.17), which a
// program linked against an old glibc binds to.
int clock_nanosleep_2_2_5(clockid_t clock, int flags, const struct timespec* req,
                          struct timespec* rem);
__asm__(".symver clock_nanosleep_2_2_5, clock_nanosleep@GLIBC_2.2.5");

static long ClockNs(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

// Real time: the shim never puts CLOCK_MONOTONIC_RAW ahead.
static long NowNs(void) {
  return ClockNs(CLOCK_MONOTONIC_RAW);
}

static long ToNs(struct timespec ts) {
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

// One sleep of `ns` through `api`. Returns the API's own return value;
// *eintr tells whether it reports an interruption, *rem the remaining time
// where the API has one (-1 otherwise).
static int Sleep(const char* api, long ns, int* eintr, long* rem_ns) {
  struct timespec req = {ns / 1000000000L, ns % 1000000000L};
  struct timespec rem = {-1, -1};
  int ret;
  errno = 0;
  *rem_ns = -1;
  if (strcmp(api, "nanosleep") == 0) {
    ret = nanosleep(&req, &rem);
    *eintr = ret == -1 && errno == EINTR;
    if (*eintr) *rem_ns = ToNs(rem);
  } else if (strcmp(api, "clock_nanosleep") == 0 || strcmp(api, "clock_nanosleep_2_2_5") == 0) {
    ret = strcmp(api, "clock_nanosleep") == 0
              ? clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem)
              : clock_nanosleep_2_2_5(CLOCK_MONOTONIC, 0, &req, &rem);
    *eintr = ret == EINTR;
    if (*eintr) *rem_ns = ToNs(rem);
  } else if (strcmp(api, "clock_nanosleep_abs") == 0) {
    // A deadline 1 ms in the past: a short timeout.
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec -= 1;
    deadline.tv_nsec += 999000000L;
    if (deadline.tv_nsec >= 1000000000L) deadline.tv_sec += 1, deadline.tv_nsec -= 1000000000L;
    ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, &rem);
    *eintr = ret == EINTR;
  } else if (strcmp(api, "clock_nanosleep_abs_realtime") == 0 ||
             strcmp(api, "clock_nanosleep_abs_tai") == 0) {
    // A deadline 20 us ahead on a clock whose absolute values are large
    // (seconds since 1970): a short timeout all the same.
    clockid_t clock = strcmp(api, "clock_nanosleep_abs_tai") == 0 ? CLOCK_TAI : CLOCK_REALTIME;
    struct timespec deadline;
    clock_gettime(clock, &deadline);
    deadline.tv_nsec += 20000;
    if (deadline.tv_nsec >= 1000000000L) deadline.tv_sec += 1, deadline.tv_nsec -= 1000000000L;
    ret = clock_nanosleep(clock, TIMER_ABSTIME, &deadline, &rem);
    *eintr = ret == EINTR;
  } else if (strcmp(api, "usleep") == 0) {
    ret = usleep((useconds_t)(ns / 1000));
    *eintr = ret == -1 && errno == EINTR;
  } else if (strcmp(api, "thrd_sleep") == 0) {
    ret = thrd_sleep(&req, &rem);
    *eintr = ret == -1;
    if (*eintr) *rem_ns = ToNs(rem);
  } else if (strcmp(api, "sleep") == 0) {
    ret = (int)sleep((unsigned)(ns / 1000000000L));
    *eintr = errno == EINTR;
  } else {
    fprintf(stderr, "unknown api %s\n", api);
    return -100;
  }
  return ret;
}

static void OnAlarm(int sig) {
  (void)sig;
}

static pthread_t g_main;
static long g_signal_after_ns = 100000000L;

static void* SignalMainLater(void* arg) {
  (void)arg;
  long start = NowNs();
  while (NowNs() - start < g_signal_after_ns) {
  }  // a busy wait: nothing the shim intercepts
  pthread_kill(g_main, SIGALRM);
  return NULL;
}

static const char* const kApis[] = {"nanosleep", "clock_nanosleep", "clock_nanosleep_2_2_5",
                                    "usleep",    "thrd_sleep",      "sleep"};

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "nanosleep";
  int eintr;
  long rem_ns;
  if (strcmp(what, "zero") == 0) {
    int ret_sum = 0;
    long start = NowNs();
    for (size_t i = 0; i < sizeof kApis / sizeof kApis[0]; ++i) {
      ret_sum += Sleep(kApis[i], 0, &eintr, &rem_ns);
    }
    printf("ret_sum %d\nelapsed_ns %ld\n", ret_sum, NowNs() - start);
  } else if (strcmp(what, "eintr") == 0 && argc > 2) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnAlarm;  // no SA_RESTART
    sigaction(SIGALRM, &sa, NULL);
    long ns = 10000L;
    pthread_t killer;
    if (strcmp(argv[2], "sleep") == 0) {
      // sleep(1) is short only with TIMERSEM_SHORT >= 1s, which would make a
      // 100 ms setitimer short too (and late, in old mode): a thread sends
      // the signal instead.
      ns = 1000000000L;
      if (argc > 3) {
        g_signal_after_ns = atol(argv[3]) * 1000000L;
        ns = 2000000000L;
      }
      g_main = pthread_self();
      if (pthread_create(&killer, NULL, SignalMainLater, NULL) != 0) return 2;
    } else {
      struct itimerval in_100ms = {{0, 0}, {0, 100000}};
      if (setitimer(ITIMER_REAL, &in_100ms, NULL) != 0) return perror("setitimer"), 2;
    }
    int ret = Sleep(argv[2], ns, &eintr, &rem_ns);
    if (strcmp(argv[2], "sleep") == 0) pthread_join(killer, NULL);
    printf("ret %d\neintr %d\nrem_ns %ld\n", ret, eintr, rem_ns);
  } else {
    long ns = strcmp(what, "sleep") == 0 ? 1000000000L : 10000L;
    long start = NowNs();
    long clock_start = ClockNs(CLOCK_MONOTONIC);
    int ret = Sleep(what, ns, &eintr, &rem_ns);
    if (ret == -100) return 2;
    long clock_elapsed = ClockNs(CLOCK_MONOTONIC) - clock_start;
    printf("ret %d\nelapsed_ns %ld\nclock_elapsed_ns %ld\n", ret, NowNs() - start, clock_elapsed);
  }
  return 0;
}
