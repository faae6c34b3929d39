// sleep_ordering: an ordering between threads that rests on a sleep being
// short.
//
// The main thread hands a request to a worker thread and gives it 500 us
// from the moment it starts; a result stamped later than that arrives after
// the main thread has moved on, and is dropped as lost (exit 1). The worker
// backs off for 10 us before answering ("let the producer finish its
// batch"), with the classic microsecond sleep select(0, NULL, NULL, NULL,
// &tv). A 10 us sleep returns after tens of microseconds on Linux, so this
// passes natively and under new semantics (a very short wait has already
// elapsed). Under old semantics a very short wait takes at least the timer
// lag (1 ms), longer than the deadline. The worker stamps both times itself,
// so how the main thread is scheduled does not matter. The worker's first
// short wait, before the request, and a logger thread's 20 us usleep pauses
// do not matter either.
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

enum { kDeadlineNs = 500000 };  // the main thread waits 500 us for the result

static atomic_long started_ns;    // when the worker took the request
static atomic_long published_ns;  // when it published the result; 0 until then
static atomic_int result;
static atomic_int logger_stop;

static long NowNs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void BackOff(void) {
  struct timeval pause = {0, 10};       // 10 us
  select(0, NULL, NULL, NULL, &pause);  // CULPRIT
}

// The worker's first short wait, before it takes the request: outside the
// deadline, so its semantics do not matter. Under the shim it also takes
// the worker thread's first stack walk, the slow one, out of the deadline.
static void SettleIn(void) {
  struct timeval pause = {0, 20};
  select(0, NULL, NULL, NULL, &pause);
}

static void* Worker(void* arg) {
  (void)arg;
  SettleIn();
  atomic_store(&started_ns, NowNs());
  BackOff();
  atomic_store(&result, 42);
  atomic_store(&published_ns, NowNs());
  return NULL;
}

static void* Logger(void* arg) {
  (void)arg;
  for (int flush = 0; flush < 3 && !atomic_load(&logger_stop); ++flush) {
    usleep(20);  // give the writers a moment to batch up
  }
  return NULL;
}

int main(void) {
  pthread_t logger, worker;
  pthread_create(&logger, NULL, Logger, NULL);
  pthread_create(&worker, NULL, Worker, NULL);
  while (atomic_load(&published_ns) == 0) sched_yield();  // spin: no sleep here
  long late_ns = atomic_load(&published_ns) - atomic_load(&started_ns) - kDeadlineNs;
  atomic_store(&logger_stop, 1);
  pthread_join(worker, NULL);
  pthread_join(logger, NULL);
  if (late_ns > 0) {
    printf("worker's result came %ld us after the 500 us deadline: dropped as lost\n",
           late_ns / 1000);
    return 1;
  }
  printf("worker published %d within the deadline\n", atomic_load(&result));
  return 0;
}
