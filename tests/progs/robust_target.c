// A target for the driver's robustness tests (tests/robust_driver_test.cc).
// It has three timer sites: two timerfds that do not matter and one
// watchdog disarm that does. The watchdog (ITIMER_REAL, SIGALRM blocked)
// has expired before it is disarmed; under old semantics, the kernel's
// own, its SIGALRM is still pending afterwards, under new it is gone and
// the program goes wrong in the way argv[1] asks:
//   crash SIG         dies of SIG: segv (a store to a PROT_NONE page), bus (a
//                     load past the end of an empty memfd mapping), fpe (an
//                     integer division by zero), ill (ud2), abort, kill
//   hang DIR          forks a child and a grandchild that sleep with DIR (a
//                     unique directory) in their argv; when it fails it
//                     creates DIR/hung-PID and blocks forever (when it
//                     passes it exits 0; the sleepers are left to the driver)
//   hang-aspects DIR  fails with exit 1, except in the driver's runs that find
//                     a set's aspects (TIMERSEM_ASPECTS set), where it hangs
//                     as "hang" does (without the sleepers)
//   hang-further DIR  fails with exit 1, except in the runs that look for a
//                     further set with one excluded (a '-' in TIMERSEM's
//                     pattern), where it hangs as "hang" does (no sleepers)
//   aspect-fluke DIR  fails with exit 1 as the watchdog's stale expiration
//                     says, and once more by chance: the first run of a set
//                     (an 'x' in TIMERSEM) with only the latency aspect
//                     fails (DIR/fluked marks it done)
//   spew BYTES        writes BYTES bytes of binary junk (every byte value,
//                     NUL included) and then passes (exit 0) or fails (exit 1)
//   closed-stderr     closes fd 2 first; fails with exit 1
//   daemon MARKER     first forks a daemon (setsid, sleep, MARKER in its argv)
//                     that keeps stdout and stderr open and outlives the
//                     target; fails with exit 1
//   quiet-daemon MARKER  the same, but the daemon's stdio is /dev/null (a
//                     well-behaved daemon: nothing holds the output pipe)
//   early-exit CODE   exits CODE before any timer is used
//   sleeper MARKER    (internal) sleeps for 1000 s
// Built with the sanitizers of the tree (a sanitized shim loads only into
// sanitized programs); the options below keep a fault a plain signal.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "timer_util.h"

// Read by ASan and TSan when they are linked in: leave these signals to
// the kernel, so the driver sees the signal itself.
__attribute__((used)) const char* __asan_default_options(void) {
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0";
}
__attribute__((used)) const char* __tsan_default_options(void) {
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0";
}

static const char* g_self;

__attribute__((noinline)) static int NewHeartbeat(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

__attribute__((noinline)) static int NewStatsTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

// The culprit: disarming the expired watchdog.
__attribute__((noinline)) static void StopWatchdog(void) {
  struct itimerval zero = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &zero, NULL);
}

// Uses every timer; 1 if the watchdog's SIGALRM survived its disarm.
static int TimersBehaveOld(void) {
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  int heartbeat = NewHeartbeat(), stats = NewStatsTimer();
  struct itimerspec later = {{0, 0}, {5, 0}};
  timerfd_settime(heartbeat, 0, &later, NULL);
  timerfd_settime(stats, 0, &later, NULL);
  // Armed behind the shim's back (not a site): only the disarm is.
  struct itimerval once = {{0, 0}, {0, 1000}};
  RawSetitimer(&once);
  SpinNs(20000000);
  StopWatchdog();
  sigset_t pending;
  sigpending(&pending);
  close(heartbeat);
  close(stats);
  return sigismember(&pending, SIGALRM);
}

// Dies of the named signal, by a real fault where there is one.
static void Crash(const char* how) {
  if (strcmp(how, "segv") == 0) {
    volatile char* page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    page[0] = 1;
  } else if (strcmp(how, "bus") == 0) {
    int fd = memfd_create("robust-empty", 0);
    volatile char* page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    (void)page[0];
  } else if (strcmp(how, "fpe") == 0) {
#if defined(__x86_64__)
    // In assembly: a division by zero in C is undefined, and UBSan's.
    int divisor = 0, quotient;
    __asm__ volatile("mov $1, %%eax\n\tcltd\n\tidivl %1" : "=&a"(quotient) : "r"(divisor) : "rdx");
    (void)quotient;
#endif
    raise(SIGFPE);
  } else if (strcmp(how, "ill") == 0) {
    __builtin_trap();
  } else if (strcmp(how, "abort") == 0) {
    abort();
  } else if (strcmp(how, "kill") == 0) {
    kill(getpid(), SIGKILL);
  }
  _exit(99);  // an unknown name, or a fault that did not fault
}

static pid_t StartSleeper(const char* marker) {
  pid_t pid = fork();
  if (pid == 0) {
    char* args[] = {(char*)g_self, "sleeper", (char*)marker, NULL};
    execv(g_self, args);
    _exit(127);
  }
  return pid;
}

// A daemon that leaves our process group and keeps our stdout and stderr;
// returns once it has left, so the driver's group kill cannot catch it.
static void StartDaemon(const char* marker, int quiet) {
  int sync[2];
  if (pipe(sync) != 0) exit(2);
  pid_t pid = fork();
  if (pid == 0) {
    close(sync[0]);
    setsid();
    if (fork() == 0) {  // not a session leader: it can never get a terminal
      close(sync[1]);
      if (quiet) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
      }
      char* args[] = {(char*)g_self, "sleeper", (char*)marker, NULL};
      execv(g_self, args);
      _exit(127);
    }
    _exit(0);
  }
  close(sync[1]);
  char c;
  while (read(sync[0], &c, 1) > 0) {
  }
  close(sync[0]);
  waitpid(pid, NULL, 0);
}

// Marks this process hung in `dir` (dir/hung-PID), then blocks for good.
__attribute__((noreturn)) static void HangMarked(const char* dir) {
  char hung[4096];
  snprintf(hung, sizeof hung, "%s/hung-%d", dir, (int)getpid());
  close(open(hung, O_WRONLY | O_CREAT, 0600));
  for (;;) pause();
}

int main(int argc, char** argv) {
  g_self = argv[0];
  if (argc < 3) return 100;
  const char* what = argv[1];
  const char* arg = argv[2];
  if (strcmp(what, "sleeper") == 0) {
    for (;;) sleep(1000);
  }
  if (strcmp(what, "early-exit") == 0) return atoi(arg);
  if (strcmp(what, "closed-stderr") == 0) close(2);
  if (strcmp(what, "daemon") == 0) StartDaemon(arg, 0);
  if (strcmp(what, "quiet-daemon") == 0) StartDaemon(arg, 1);
  if (strcmp(what, "hang") == 0) {
    pid_t child = fork();
    if (child == 0) {  // the child starts the grandchild, then sleeps too
      StartSleeper(arg);
      char* args[] = {(char*)g_self, "sleeper", (char*)arg, NULL};
      execv(g_self, args);
      _exit(127);
    }
  }
  int ok = TimersBehaveOld();
  if (strcmp(what, "crash") == 0) {
    if (!ok) Crash(arg);
    return 0;
  }
  if (strcmp(what, "hang") == 0) {
    if (ok) return 0;
    HangMarked(arg);
  }
  if (strcmp(what, "aspect-fluke") == 0) {
    const char* pattern = getenv("TIMERSEM");
    const char* aspects = getenv("TIMERSEM_ASPECTS");
    if (pattern != NULL && strchr(pattern, 'x') != NULL && aspects != NULL &&
        strcmp(aspects, "latency") == 0) {
      char fluked[4096];
      snprintf(fluked, sizeof fluked, "%s/fluked", arg);
      int fd = open(fluked, O_WRONLY | O_CREAT | O_EXCL, 0600);
      if (fd >= 0) {
        close(fd);
        return 1;
      }
    }
    return ok ? 0 : 1;
  }
  if (strcmp(what, "hang-further") == 0) {
    const char* pattern = getenv("TIMERSEM");
    if (pattern != NULL && strchr(pattern, '-') != NULL) HangMarked(arg);
    return ok ? 0 : 1;
  }
  if (strcmp(what, "hang-aspects") == 0) {
    if (ok) return 0;
    if (getenv("TIMERSEM_ASPECTS") == NULL) return 1;
    HangMarked(arg);
  }
  if (strcmp(what, "spew") == 0) {
    long total = atol(arg);
    unsigned char buf[8192];
    for (long written = 0; written < total;) {
      long n = total - written < (long)sizeof buf ? total - written : (long)sizeof buf;
      for (long k = 0; k < n; ++k) buf[k] = (unsigned char)((written + k) * 131 + 7);
      ssize_t w = write(1, buf, (size_t)n);
      if (w <= 0) return 2;
      written += w;
    }
    return ok ? 0 : 1;
  }
  if (strcmp(what, "closed-stderr") == 0 || strstr(what, "daemon") != NULL) {
    printf("%s\n", ok ? "ok" : "the watchdog's expiry was lost");
    return ok ? 0 : 1;
  }
  return 100;
}
