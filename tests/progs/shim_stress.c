// Eight threads hammering timers and timed waits while signals arrive, with
// a signal handler that itself calls intercepted functions. Prints
// "produced N", "consumed N" (a lost wakeup shows as a mismatch or a hang)
// and "done 1".
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 8, kIterations = 300, kItems = 2000 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int queue_len;
static long produced, consumed;
static int handled;        // updated atomically: handlers run on several threads
static volatile int stop;  // set once every signal has been sent

static void OnSignal(int signo) {
  (void)signo;
  // Intercepted calls from a signal handler: a zero sleep and a timerfd.
  struct timespec zero = {0, 0};
  nanosleep(&zero, NULL);
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  if (fd >= 0) close(fd);
  __atomic_fetch_add(&handled, 1, __ATOMIC_RELAXED);
}

static struct timespec DeadlineIn(long ns) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += ns;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

static void* Hammer(void* arg) {
  (void)arg;
  for (int i = 0; i < kIterations || !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); ++i) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec v = {{0, 0}, {0, 10000}};
    timerfd_settime(fd, 0, &v, NULL);
    struct pollfd p = {fd, POLLIN, 0};
    poll(&p, 1, 1);
    uint64_t ticks;
    if (read(fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN) perror("read");
    v.it_value.tv_nsec = 5000000;
    timerfd_settime(fd, 0, &v, NULL);
    struct timespec ten_us = {0, 10000};
    while (nanosleep(&ten_us, &ten_us) != 0 && errno == EINTR) {
    }
    close(fd);
  }
  return NULL;
}

static void* Produce(void* arg) {
  (void)arg;
  for (int i = 0; i < kItems; ++i) {
    pthread_mutex_lock(&mu);
    ++queue_len;
    ++produced;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

static void* Consume(void* arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (queue_len == 0 && consumed < kItems) {
      // Alternate short and long deadlines: short ones are what the shim
      // changes; none may lose the producer's signal for good.
      struct timespec deadline = DeadlineIn((consumed & 1) ? 20000 : 100000000);
      pthread_cond_timedwait(&cv, &mu, &deadline);
    }
    if (consumed >= kItems) {
      pthread_mutex_unlock(&mu);
      return NULL;
    }
    --queue_len;
    ++consumed;
    pthread_mutex_unlock(&mu);
  }
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = OnSignal;
  sigaction(SIGUSR1, &sa, NULL);  // no SA_RESTART: calls see EINTR
  pthread_t hammers[kThreads], producer, consumer;
  for (int i = 0; i < kThreads; ++i) pthread_create(&hammers[i], NULL, Hammer, NULL);
  pthread_create(&consumer, NULL, Consume, NULL);
  pthread_create(&producer, NULL, Produce, NULL);
  for (int i = 0; i < 200; ++i) {
    pthread_kill(hammers[i % kThreads], SIGUSR1);
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < kThreads; ++i) pthread_join(hammers[i], NULL);
  pthread_join(producer, NULL);
  pthread_join(consumer, NULL);
  printf("produced %ld\nconsumed %ld\nsignals %d\ndone 1\n", produced, consumed,
         __atomic_load_n(&handled, __ATOMIC_RELAXED));
  return 0;
}
