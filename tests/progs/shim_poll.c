// Readiness waits with short timeouts, one behaviour per argument; each
// prints "key value" lines. API is one of poll ppoll select pselect
// epoll_wait epoll_pwait epoll_pwait2. poll, epoll_wait and epoll_pwait wait
// 1 ms (their unit), the others 20 us: run with TIMERSEM_SHORT >= 1ms.
//   late API DELAY_US  a thread writes to a pipe DELAY_US after the wait
//                      starts            -> "ready N", "written_at_return 0|1"
//                      (select also prints "timeout_valid 0|1")
//   idle API           nothing is ever written -> "ready N", "elapsed_ns N"
//                      (real time), "clock_elapsed_ns N" (this thread's
//                      CLOCK_MONOTONIC: ahead after new by the timeout)
//   zero               every API with a zero timeout and nothing ready, then
//                      with an infinite timeout and a ready pipe
//                      -> "zero_ready N", "infinite_ready N"
//   twosites DELAY_US  `late poll` from two call sites -> "first N", "second N"
// Built a second time with -O2 -D_FORTIFY_SOURCE=2 (prog_shim_poll_fortify),
// where poll and ppoll become __poll_chk and __ppoll_chk.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static int g_pipe[2];
static int g_epfd;
static atomic_int g_waiting;
static atomic_int g_written;
static long g_delay_ns;
static int g_timeout_valid = -1;

static long ClockNs(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

// Real time: the shim never puts CLOCK_MONOTONIC_RAW ahead.
static long NowNs(void) {
  return ClockNs(CLOCK_MONOTONIC_RAW);
}

// A busy wait: nothing the shim intercepts.
static void SpinNs(long ns) {
  long start = NowNs();
  while (NowNs() - start < ns) {
  }
}

static void* Writer(void* arg) {
  (void)arg;
  while (!atomic_load(&g_waiting)) {
  }
  SpinNs(g_delay_ns);
  // The flag goes first: if the waiter sees it clear after its call, the
  // byte was not written before the call returned.
  atomic_store(&g_written, 1);
  if (write(g_pipe[1], "x", 1) != 1) abort();
  return NULL;
}

static void Drain(void) {
  char buf[16];
  while (read(g_pipe[0], buf, sizeof buf) > 0) {
  }
}

// One wait on the pipe's read end: a short timeout, or zero, or infinite.
enum Timeout { kShort, kZero, kInfinite };

static int Wait(const char* api, enum Timeout kind) {
  struct pollfd fds[1] = {{g_pipe[0], POLLIN, 0}};
  volatile nfds_t nfds = 1;  // not a constant: a fortified build calls __poll_chk
  int ms = kind == kShort ? 1 : kind == kZero ? 0 : -1;
  struct timespec ts = {0, kind == kShort ? 20000 : 0};
  const struct timespec* tsp = kind == kInfinite ? NULL : &ts;
  struct epoll_event events[1];
  sigset_t mask;
  sigemptyset(&mask);
#if defined(__clang__) && defined(_FORTIFY_SOURCE) && _FORTIFY_SOURCE > 0
  // clang folds glibc's __builtin_object_size test to "unknown size" before
  // inlining, so its fortified poll never takes the checking path: call the
  // entry points a gcc build calls here.
  if (strcmp(api, "poll") == 0) return __poll_chk(fds, nfds, ms, sizeof fds);
  if (strcmp(api, "ppoll") == 0) return __ppoll_chk(fds, nfds, tsp, NULL, sizeof fds);
#endif
  if (strcmp(api, "poll") == 0) return poll(fds, nfds, ms);
  if (strcmp(api, "ppoll") == 0) return ppoll(fds, nfds, tsp, NULL);
  if (strcmp(api, "select") == 0 || strcmp(api, "pselect") == 0) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(g_pipe[0], &readable);
    if (strcmp(api, "pselect") == 0)
      return pselect(g_pipe[0] + 1, &readable, NULL, NULL, tsp, &mask);
    struct timeval tv = {0, kind == kShort ? 20 : 0};
    int ready = select(g_pipe[0] + 1, &readable, NULL, NULL, kind == kInfinite ? NULL : &tv);
    g_timeout_valid = tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000;
    return ready;
  }
  if (strcmp(api, "epoll_wait") == 0) return epoll_wait(g_epfd, events, 1, ms);
  if (strcmp(api, "epoll_pwait") == 0) return epoll_pwait(g_epfd, events, 1, ms, &mask);
  if (strcmp(api, "epoll_pwait2") == 0) return epoll_pwait2(g_epfd, events, 1, tsp, &mask);
  fprintf(stderr, "unknown api %s\n", api);
  exit(2);
}

// A short wait while a thread writes to the pipe `delay_ns` after it began.
static int LateWait(const char* api, long delay_ns, int* written_at_return) {
  pthread_t writer;
  g_delay_ns = delay_ns;
  atomic_store(&g_waiting, 0);
  atomic_store(&g_written, 0);
  if (pthread_create(&writer, NULL, Writer, NULL) != 0) abort();
  atomic_store(&g_waiting, 1);
  int ready = Wait(api, kShort);
  *written_at_return = atomic_load(&g_written);
  if (ready < 0) perror(api);
  pthread_join(writer, NULL);
  Drain();
  return ready;
}

// Two call sites of the same wait, told apart by their return addresses.
__attribute__((noinline)) static int FirstSite(long delay_ns) {
  int written;
  int ready = LateWait("poll", delay_ns, &written);
  __asm__ volatile("" ::: "memory");  // no tail call: keep this frame
  return ready;
}

__attribute__((noinline)) static int SecondSite(long delay_ns) {
  int written;
  int ready = LateWait("poll", delay_ns, &written);
  __asm__ volatile("# second site" ::: "memory");  // differs from FirstSite: never folded
  return ready;
}

static const char* const kApis[] = {"poll",       "ppoll",       "select",      "pselect",
                                    "epoll_wait", "epoll_pwait", "epoll_pwait2"};

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "late";
  if (pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) return perror("pipe2"), 2;
  g_epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = g_pipe[0]}};
  if (g_epfd < 0 || epoll_ctl(g_epfd, EPOLL_CTL_ADD, g_pipe[0], &ev) != 0)
    return perror("epoll"), 2;

  if (strcmp(what, "late") == 0 && argc > 3) {
    int written;
    int ready = LateWait(argv[2], atol(argv[3]) * 1000L, &written);
    printf("ready %d\nwritten_at_return %d\n", ready, written);
    if (g_timeout_valid >= 0) printf("timeout_valid %d\n", g_timeout_valid);
  } else if (strcmp(what, "idle") == 0 && argc > 2) {
    long start = NowNs();
    long clock_start = ClockNs(CLOCK_MONOTONIC);
    int ready = Wait(argv[2], kShort);
    long clock_elapsed = ClockNs(CLOCK_MONOTONIC) - clock_start;
    printf("ready %d\nelapsed_ns %ld\nclock_elapsed_ns %ld\n", ready, NowNs() - start,
           clock_elapsed);
  } else if (strcmp(what, "zero") == 0) {
    int zero_ready = 0, infinite_ready = 0;
    for (size_t i = 0; i < sizeof kApis / sizeof kApis[0]; ++i) zero_ready += Wait(kApis[i], kZero);
    if (write(g_pipe[1], "x", 1) != 1) return 2;
    for (size_t i = 0; i < sizeof kApis / sizeof kApis[0]; ++i) {
      infinite_ready += Wait(kApis[i], kInfinite);
    }
    printf("zero_ready %d\ninfinite_ready %d\n", zero_ready, infinite_ready);
  } else if (strcmp(what, "twosites") == 0 && argc > 2) {
    long delay_ns = atol(argv[2]) * 1000L;
    int first = FirstSite(delay_ns);
    int second = SecondSite(delay_ns);
    printf("first %d\nsecond %d\n", first, second);
  } else {
    fprintf(stderr, "usage: %s late API DELAY_US | idle API | zero | twosites DELAY_US\n", argv[0]);
    return 2;
  }
  return 0;
}
