// Site identity at the edges; one scenario per argv[1].
//   signal          a SIGALRM handler makes a short sleep while the main
//                   thread spins through several functions: the handler's
//                   site must not depend on the interrupted instruction
//                   -> "handled N"
//   fork_signal [N] N (default 500) forks while a 50 us periodic signal's handler calls
//                   alarm(0), so some land inside fork() -> "forks N"
//   dlclose A B     a timer made in library A (a path), A unloaded, library
//                   B loaded and a timer made at the same offset
//                   -> "same_address 0|1"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static volatile sig_atomic_t g_handled = 0;
static volatile unsigned long g_sink = 0;

static void OnAlarmSleep(int sig) {
  (void)sig;
  struct timespec t = {0, 1000};
  nanosleep(&t, NULL);
  g_handled = g_handled + 1;
}

NOINLINE static void SpinA(void) {
  for (int i = 0; i < 1000; ++i) g_sink += (unsigned long)i * 3;
  KEEP_FRAME();
}
NOINLINE static void SpinB(void) {
  for (int i = 0; i < 1000; ++i) g_sink ^= (unsigned long)i << 2;
  KEEP_FRAME();
}
NOINLINE static void SpinC(void) {
  for (int i = 0; i < 1000; ++i) g_sink += g_sink >> 3;
  KEEP_FRAME();
}

static int Signal(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnAlarmSleep;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  // ITIMER_PROF would be kinder to a loaded machine, but its signal is
  // SIGPROF; a raw 2 ms ITIMER_REAL is fine: the handler only sleeps 1 us.
  struct itimerval every = {{0, 2000}, {0, 2000}};
  setitimer(ITIMER_REAL, &every, NULL);
  while (g_handled < 40) {
    SpinA();
    SpinB();
    SpinC();
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("handled %d\n", (int)g_handled);
  return 0;
}

static void OnSignalAlarmZero(int sig) {
  (void)sig;
  alarm(0);
}

static int ForkSignal(int count) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnSignalAlarmZero;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  timer_t timer;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) return 2;
  struct itimerspec every = {{0, 50000}, {0, 50000}};
  timer_settime(timer, 0, &every, NULL);
  int forks = 0;
  for (int i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) break;
    while (waitpid(pid, NULL, 0) < 0) {
    }
    ++forks;
  }
  timer_delete(timer);
  printf("forks %d\n", forks);
  return 0;
}

typedef int (*MakeTimerFn)(void);

static void* LoadAndMake(const char* path, int* fd) {
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) return NULL;
  MakeTimerFn make = (MakeTimerFn)dlsym(lib, "unloadlib_make_timer");
  *fd = make != NULL ? make() : -1;
  return lib;
}

static int Dlclose(const char* a, const char* b) {
  // One loop, so both timers come from the same return addresses here.
  const char* paths[2] = {a, b};
  void* first_fn = NULL;
  int same = 0;
  for (int i = 0; i < 2; ++i) {
    int fd;
    void* lib = LoadAndMake(paths[i], &fd);
    if (lib == NULL || fd < 0) return 2 + i;
    close(fd);
    void* fn = dlsym(lib, "unloadlib_make_timer");
    if (i == 0) first_fn = fn;
    same = fn == first_fn;
    dlclose(lib);
  }
  printf("same_address %d\n", same);
  return 0;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "signal";
  if (strcmp(what, "signal") == 0) return Signal();
  if (strcmp(what, "fork_signal") == 0) return ForkSignal(argc > 2 ? atoi(argv[2]) : 500);
  if (strcmp(what, "dlclose") == 0 && argc > 3) return Dlclose(argv[2], argv[3]);
  fprintf(stderr, "usage: %s signal|fork_signal|dlclose A B\n", argv[0]);
  return 100;
}
