// Code paths with known site identities; one scenario per argv[1].
//   two_callers  the same helper reached from two callers: two sites
//   threads      four threads on one code path: one site
//   fork         parent and child on one code path: one site, reported by each
//   exec         the same code path before and after exec of this program
//   lib          a timer made inside a shared library, from two callers
//   exec_env NAME VALUE  as exec, with NAME set to VALUE ("-": unset) first
//   exec_missing [PATH]  unsets LD_PRELOAD, execs PATH, which does not exist
//                 (default /nonexistent/timerbisect-test; exits 3 if errno
//                 is not ENOENT after it), then itself as exec
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int sitelib_make_timer(void);

#define NOINLINE __attribute__((noinline))
// An empty asm after each call keeps it from becoming a tail call, so the
// caller's frame stays on the stack.
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

NOINLINE static int MakeTimer(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  KEEP_FRAME();
  return fd;
}
NOINLINE static int CallerA(void) {
  int fd = MakeTimer();
  KEEP_FRAME();
  return fd;
}
NOINLINE static int CallerB(void) {
  int fd = MakeTimer();
  KEEP_FRAME();
  return fd;
}
NOINLINE static int LibCallerA(void) {
  int fd = sitelib_make_timer();
  KEEP_FRAME();
  return fd;
}
NOINLINE static int LibCallerB(void) {
  int fd = sitelib_make_timer();
  KEEP_FRAME();
  return fd;
}

static void* ThreadMain(void* arg) {
  (void)arg;
  CallerA();
  KEEP_FRAME();
  return NULL;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "";
  if (strcmp(what, "two_callers") == 0) {
    CallerA();
    CallerB();
  } else if (strcmp(what, "threads") == 0) {
    pthread_t t[4];
    for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, ThreadMain, NULL);
    for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
  } else if (strcmp(what, "fork") == 0) {
    pid_t pid = fork();
    CallerA();
    if (pid == 0) _exit(0);
    waitpid(pid, NULL, 0);
  } else if (strcmp(what, "exec") == 0) {
    CallerA();
    if (argc < 3) {
      execl("/proc/self/exe", argv[0], "exec", "again", (char*)NULL);
      perror("execl");
      return 2;
    }
  } else if (strcmp(what, "exec_env") == 0 && argc > 3) {
    // Sets (or with "-", unsets) argv[2] to argv[3], then execs itself.
    CallerA();
    if (strcmp(argv[3], "-") == 0) {
      unsetenv(argv[2]);
    } else {
      setenv(argv[2], argv[3], 1);
    }
    execl("/proc/self/exe", argv[0], "exec", "again", (char*)NULL);
    perror("execl");
    return 2;
  } else if (strcmp(what, "exec_missing") == 0) {
    CallerA();
    unsetenv("LD_PRELOAD");
    execl(argc > 2 ? argv[2] : "/nonexistent/timerbisect-test", argv[0], (char*)NULL);
    if (errno != ENOENT) return 3;
    execl("/proc/self/exe", argv[0], "exec", "again", (char*)NULL);
    perror("execl");
    return 2;
  } else if (strcmp(what, "lib") == 0) {
    LibCallerA();
    LibCallerB();
  } else {
    fprintf(stderr, "unknown scenario %s\n", what);
    return 2;
  }
  return 0;
}
