// fork() in a multithreaded program under the shim: worker threads hammer
// timer calls (timerfd create/arm/close, short sleeps, short polls) while the
// main thread forks again and again; each child uses timers itself and
// exits. A child that inherits a lock some worker held at the fork (the
// shim's, libunwind's, the loader's) hangs; the parent gives each child a
// generous deadline, kills it if it is still running and counts it as hung.
// Prints: "forks N", "children_ok N", "hung N", "worker_calls_ok 0|1",
// "first_failure exit|signal N" when a child failed, "done 1".
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kWorkers = 3, kForks = 100 };
static atomic_int g_stop;
static atomic_long g_calls;

static void Sleep10us(void) {
  struct timespec ts = {0, 10000};
  nanosleep(&ts, NULL);
}

// One round of timer use; 0 on success.
__attribute__((noinline)) static int UseTimers(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  if (fd < 0) return 1;
  struct itimerspec v = {{0, 0}, {0, 20000}};  // 20 us: short
  if (timerfd_settime(fd, 0, &v, NULL) != 0) return 2;
  Sleep10us();
  struct pollfd p = {fd, POLLIN, 0};
  struct timespec short_wait = {0, 30000};
  if (ppoll(&p, 1, &short_wait, NULL) < 0) return 3;
  struct itimerspec zero = {{0, 0}, {0, 0}};
  if (timerfd_settime(fd, 0, &zero, NULL) != 0) return 4;
  return close(fd) == 0 ? 0 : 5;
}

static void* Worker(void* arg) {
  (void)arg;
  while (!atomic_load(&g_stop)) {
    if (UseTimers() != 0) return (void*)1;
    atomic_fetch_add(&g_calls, 1);
  }
  return NULL;
}

static int g_first_failure = -1;  // wait status of the first child that failed

// Waits up to 20 s for `child`; 1 if it exited 0, 0 if it failed, -1 if hung.
static int Reap(pid_t child) {
  for (int ms = 0; ms < 20000; ++ms) {
    int status = 0;
    pid_t r = waitpid(child, &status, WNOHANG);
    if (r == child) {
      int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!ok && g_first_failure < 0) g_first_failure = status;
      return ok;
    }
    struct timespec one_ms = {0, 1000000};
    nanosleep(&one_ms, NULL);
  }
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return -1;
}

int main(void) {
  pthread_t workers[kWorkers];
  for (int i = 0; i < kWorkers; ++i) pthread_create(&workers[i], NULL, Worker, NULL);
  int ok = 0, hung = 0;
  for (int i = 0; i < kForks; ++i) {
    pid_t child = fork();
    if (child < 0) return 2;
    if (child == 0) {
      for (int round = 0; round < 5; ++round) {
        if (UseTimers() != 0) _exit(3);
      }
      exit(0);  // exit, not _exit: the shim's exit path runs too
    }
    int r = Reap(child);
    ok += r == 1;
    hung += r == -1;
  }
  atomic_store(&g_stop, 1);
  int worker_calls_ok = 1;
  for (int i = 0; i < kWorkers; ++i) {
    void* result = NULL;
    pthread_join(workers[i], &result);
    if (result != NULL) worker_calls_ok = 0;
  }
  printf("forks %d\nchildren_ok %d\nhung %d\nworker_calls_ok %d\n", kForks, ok, hung,
         worker_calls_ok && atomic_load(&g_calls) > 0);
  if (g_first_failure >= 0) {
    printf("first_failure %s %d\n", WIFEXITED(g_first_failure) ? "exit" : "signal",
           WIFEXITED(g_first_failure) ? WEXITSTATUS(g_first_failure) : WTERMSIG(g_first_failure));
  }
  printf("done 1\n");
  return 0;
}
