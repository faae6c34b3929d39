// Watch mode (TIMERSEM=watch): timers used in known numbers from known
// sites, one scenario per argv[1]; each prints "key value" lines.
//   timers  a timerfd armed short (10 us), left to expire, armed again for
//           10 s and re-armed for 20 s (2 arms, 1 re-arm, 1 short); is the
//           expiration from before the re-arm still readable? (native: no)
//                                                   -> "stale 0|1"
//           three 1 ms polls from one site: how long did the shortest take?
//                                                   -> "poll_min_ns N"
//           a POSIX timer armed for 10 s and never deleted, a timerfd closed
//           and never armed, a POSIX timer deleted: only the first and the
//           10 s timerfd are still open at exit.
//   fork    a timerfd armed for 10 s and one poll, then a child that polls
//           twice (the same site at TIMERSEM_DEPTH=1) and calls exit(0)
//                                                   -> "child_status N"
//   thread_exit  a second thread polls once and calls exit(0) while the main
//           thread waits for it forever
// The sites' functions are noinline so each has its own frame; the poll
// call line carries a WATCH-POLL-SITE comment for tests that look for it.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
// An empty asm after each call keeps it from becoming a tail call, so the
// caller's frame stays on the stack.
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static long ElapsedNs(const struct timespec* start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000000000L + (now.tv_nsec - start->tv_nsec);
}

// A busy loop on clock_gettime: nothing the shim could see or stretch.
static void SpinNs(long ns) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (ElapsedNs(&start) < ns) {
  }
}

static int ArmTimerfd(int fd, long ns) {
  struct itimerspec v = {{0, 0}, {ns / 1000000000L, ns % 1000000000L}};
  return timerfd_settime(fd, 0, &v, NULL);
}

static int Readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;  // a zero timeout: no timer, no site
}

NOINLINE static int MakeTimerfd(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  KEEP_FRAME();
  return fd;
}

NOINLINE static int MakeUnusedTimerfd(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  KEEP_FRAME();
  return fd;
}

// `n` polls of 1 ms on no descriptors; returns the shortest in ns.
NOINLINE static long ShortPolls(int n) {
  long shortest = -1;
  for (int i = 0; i < n; ++i) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    poll(NULL, 0, 1);  // WATCH-POLL-SITE
    KEEP_FRAME();
    long took = ElapsedNs(&start);
    if (shortest < 0 || took < shortest) shortest = took;
  }
  return shortest;
}

NOINLINE static int MakePosixTimer(timer_t* timer) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_NONE;
  int r = timer_create(CLOCK_MONOTONIC, &ev, timer);
  KEEP_FRAME();
  return r;
}

// Differs from MakePosixTimer (CLOCK_REALTIME) so the compiler cannot fold
// the two into one function.
NOINLINE static int MakeDeletedPosixTimer(timer_t* timer) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_NONE;
  int r = timer_create(CLOCK_REALTIME, &ev, timer);
  KEEP_FRAME();
  return r;
}

static int Timers(void) {
  int fd = MakeTimerfd();
  if (fd < 0) return perror("timerfd_create"), 2;
  if (ArmTimerfd(fd, 10000) != 0) return perror("timerfd_settime"), 2;  // arm, short
  SpinNs(20000000);                                                     // it expires
  if (ArmTimerfd(fd, 10000000000L) != 0) return 2;                      // arm
  printf("stale %d\n", Readable(fd));
  if (ArmTimerfd(fd, 20000000000L) != 0) return 2;  // re-arm

  printf("poll_min_ns %ld\n", ShortPolls(3));

  timer_t open_timer;
  if (MakePosixTimer(&open_timer) != 0) return perror("timer_create"), 2;
  struct itimerspec ten_s = {{0, 0}, {10, 0}};
  if (timer_settime(open_timer, 0, &ten_s, NULL) != 0) return perror("timer_settime"), 2;

  int unused = MakeUnusedTimerfd();
  if (unused < 0 || close(unused) != 0) return 2;

  timer_t deleted;
  if (MakeDeletedPosixTimer(&deleted) != 0) return 2;
  if (timer_settime(deleted, 0, &ten_s, NULL) != 0 || timer_delete(deleted) != 0) return 2;
  return 0;
}

static int Fork(void) {
  int fd = MakeTimerfd();
  if (fd < 0 || ArmTimerfd(fd, 10000000000L) != 0) return 2;
  ShortPolls(1);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return perror("fork"), 2;
  if (pid == 0) {
    ShortPolls(2);
    exit(0);  // runs the shim's exit report in the child
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 2;
  printf("child_status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}

static void* PollThenExit(void* arg) {
  (void)arg;
  ShortPolls(1);
  fflush(stdout);
  exit(0);  // from this thread: the exit report must still be written
}

static int ThreadExit(void) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, PollThenExit, NULL) != 0) return 2;
  pthread_join(thread, NULL);  // never returns: the thread exits the process
  return 3;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "timers";
  if (strcmp(what, "timers") == 0) return Timers();
  if (strcmp(what, "fork") == 0) return Fork();
  if (strcmp(what, "thread_exit") == 0) return ThreadExit();
  fprintf(stderr, "unknown behaviour %s\n", what);
  return 2;
}
