// exec of a static binary (argv[1], robust_static_helper: no PT_INTERP, so
// LD_PRELOAD cannot reach it) from a process under the shim, after the
// shim has seen a timer site: once from a fork child, once by replacing
// this process. Prints "stale 0|1" (the timerfd re-armed after it expired),
// "child_exit N", then the helper's own lines.
#include <poll.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "timer_util.h"

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0 || Arm(fd, 1000000) != 0) return 2;
  SpinNs(20000000);
  if (Arm(fd, 10000000000L) != 0) return 3;
  struct pollfd p = {fd, POLLIN, 0};
  printf("stale %d\n", poll(&p, 1, 0) == 1);
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) return 4;
  if (child == 0) {
    char* args[] = {argv[1], "child", NULL};
    execv(argv[1], args);
    _exit(127);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) return 5;
  printf("child_exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  fflush(stdout);
  char* args[] = {argv[1], "replaced", NULL};
  execv(argv[1], args);
  return 6;
}
