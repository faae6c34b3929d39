// many_sites: one bad timer among eighty-one, in a child process.
//
// A service forks a job runner, then runs four worker threads. Each worker
// uses sixteen short-lived timers from sixteen different functions, and the
// job runner another sixteen: each creates a timerfd, arms it for about
// 100 us, waits for the expiration with a blocking read and closes it, which
// behaves the same under every semantics. The job runner also has one job
// timer used the way Go code used `if !t.Stop() { <-t.C }`: when the job
// outlives its timeout, it disarms the timer and then drains the expiration
// (a non-blocking read). Under old semantics the expiration survives the
// disarm and is drained; under new semantics (Go 1.23 timers, and Linux's
// own timerfd) the disarm discards it, the drain finds nothing, and the job
// runner fails, and with it the service (exit 1).
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void Arm(int fd, long ns) {
  struct itimerspec v = {{0, 0}, {ns / 1000000000L, ns % 1000000000L}};
  timerfd_settime(fd, 0, &v, NULL);
}

// One well-behaved timer site per function: distinct functions make
// distinct stacks. The arming differs per function so that no compiler
// merges identical functions into one.
#define SITE(group, index)                                                   \
  static __attribute__((noinline)) void Site_##group##_##index(void) {       \
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);                             \
    Arm(fd, 100000 + (group)*16000 + (index)*1000);                          \
    uint64_t ticks;                                                          \
    if (read(fd, &ticks, sizeof ticks) != sizeof ticks) perror("site read"); \
    close(fd);                                                               \
  }
// The formatter folds this macro, which defines sixteen functions and their
// table, into a staircase.
// clang-format off
#define SITES(group)                                                              \
  SITE(group, 0) SITE(group, 1) SITE(group, 2) SITE(group, 3)                     \
  SITE(group, 4) SITE(group, 5) SITE(group, 6) SITE(group, 7)                     \
  SITE(group, 8) SITE(group, 9) SITE(group, 10) SITE(group, 11)                   \
  SITE(group, 12) SITE(group, 13) SITE(group, 14) SITE(group, 15)                 \
  static void (*const kGroup##group[16])(void) = {                                \
      Site_##group##_0,  Site_##group##_1,  Site_##group##_2,  Site_##group##_3,  \
      Site_##group##_4,  Site_##group##_5,  Site_##group##_6,  Site_##group##_7,  \
      Site_##group##_8,  Site_##group##_9,  Site_##group##_10, Site_##group##_11, \
      Site_##group##_12, Site_##group##_13, Site_##group##_14, Site_##group##_15};
// clang-format on

SITES(0)
SITES(1)
SITES(2)
SITES(3)
SITES(4)

static void (*const* const kGroups[5])(void) = {kGroup0, kGroup1, kGroup2, kGroup3, kGroup4};

static void RunGroup(int group) {
  for (int i = 0; i < 16; ++i) kGroups[group][i]();
}

static void* Worker(void* arg) {
  RunGroup((int)(intptr_t)arg);
  return NULL;
}

static void BusyWork(long ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

static __attribute__((noinline)) int NewJobTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);  // CULPRIT
}

// Runs a job under a 200 us timeout. The job takes 1 ms, so the timeout
// fires; stopping the timer then drains that expiration.
static int RunJob(void) {
  int timer = NewJobTimer();
  Arm(timer, 200000);
  BusyWork(1000000);
  struct itimerspec left;
  timerfd_gettime(timer, &left);
  int fired = left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0;
  struct itimerspec disarm = {{0, 0}, {0, 0}};
  timerfd_settime(timer, 0, &disarm, NULL);
  if (fired) {
    uint64_t expirations;
    if (read(timer, &expirations, sizeof expirations) != sizeof expirations) {
      fprintf(stderr, "job runner: the job timed out but its expiration is gone (%s)\n",
              errno == EAGAIN ? "nothing to drain" : "read failed");
      return 1;
    }
  }
  close(timer);
  return 0;
}

static int JobRunner(void) {
  RunGroup(4);
  return RunJob();
}

int main(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) _exit(JobRunner());
  pthread_t workers[4];
  for (int i = 0; i < 4; ++i) pthread_create(&workers[i], NULL, Worker, (void*)(intptr_t)i);
  for (int i = 0; i < 4; ++i) pthread_join(workers[i], NULL);
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("service failed: the job runner failed\n");
    return 1;
  }
  printf("service done: 4 workers and the job runner\n");
  return 0;
}
