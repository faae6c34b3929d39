// The clock a thread reads after new made its short timed wait time out at
// once (shim/clock_ahead.h). The main thread waits on a condvar until
// now + 2 s (CLOCK_REALTIME) with nothing to wake it; run with
// TIMERSEM_SHORT above 2 s, new times the wait out at once. Then it prints,
// one "name value" line each:
//   timedout          1 if the wait returned ETIMEDOUT
//   realtime_reached  1 if this thread's CLOCK_REALTIME reads the deadline
//   timeofday_reached 1 if its gettimeofday does
//   raw_ms            real milliseconds the wait took (CLOCK_MONOTONIC_RAW)
//   other_reached     1 if another thread's CLOCK_REALTIME reads the deadline
//   errno_kept        1 if a clock read under way kept errno
//   null_timeofday    gettimeofday(NULL, NULL)'s return value
// Then it spins (on CLOCK_MONOTONIC_RAW) until real time is past the
// deadline, and prints
//   ordered_after     1 if this thread's CLOCK_MONOTONIC, another thread's
//                     and this thread's again read in order: no thread is
//                     ahead any more
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static int64_t Ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t g_read;

static void* ReadRealtime(void* arg) {
  (void)arg;
  g_read = Ns(CLOCK_REALTIME);
  return NULL;
}

static void* ReadMonotonic(void* arg) {
  (void)arg;
  g_read = Ns(CLOCK_MONOTONIC);
  return NULL;
}

static int64_t OnAnotherThread(void* (*read)(void*)) {
  pthread_t t;
  pthread_create(&t, NULL, read, NULL);
  pthread_join(t, NULL);
  return g_read;
}

int main(void) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  const int64_t wait_ns = 2000000000;
  int64_t deadline = Ns(CLOCK_REALTIME) + wait_ns;
  struct timespec abstime = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
  int64_t raw_start = Ns(CLOCK_MONOTONIC_RAW);
  pthread_mutex_lock(&m);
  int rc = pthread_cond_timedwait(&c, &m, &abstime);
  pthread_mutex_unlock(&m);
  int64_t raw_ms = (Ns(CLOCK_MONOTONIC_RAW) - raw_start) / 1000000;
  int64_t realtime = Ns(CLOCK_REALTIME);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  int64_t timeofday = (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
  errno = EAGAIN;
  Ns(CLOCK_MONOTONIC);
  int errno_kept = errno == EAGAIN;
  // glibc declares the first argument nonnull, yet NULL is legal: called
  // through a pointer whose type says nothing of it (UBSan checks the
  // attribute at the call).
  int (*volatile timeofday_fn)(struct timeval*, void*) = gettimeofday;
  int null_timeofday = timeofday_fn(NULL, NULL);
  int64_t other = OnAnotherThread(ReadRealtime);
  printf("timedout %d\n", rc == ETIMEDOUT);
  printf("realtime_reached %d\n", realtime >= deadline);
  // gettimeofday has microseconds: the deadline rounded down to them.
  printf("timeofday_reached %d\n", timeofday >= deadline / 1000 * 1000);
  printf("raw_ms %lld\n", (long long)raw_ms);
  printf("other_reached %d\n", other >= deadline);
  printf("errno_kept %d\n", errno_kept);
  printf("null_timeofday %d\n", null_timeofday);
  int64_t raw_past = raw_start + wait_ns + 10000000;
  while (Ns(CLOCK_MONOTONIC_RAW) < raw_past) {
  }
  int64_t before = Ns(CLOCK_MONOTONIC);
  int64_t between = OnAnotherThread(ReadMonotonic);
  int64_t after = Ns(CLOCK_MONOTONIC);
  printf("ordered_after %d\n", before <= between && between <= after);
  return 0;
}
