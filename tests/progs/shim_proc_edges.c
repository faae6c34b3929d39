// Descriptors and processes at the edges of the shim's bookkeeping; one
// scenario per argv[1], argv[2] a scratch file the program writes.
//   closefrom FILE  closefrom(3), then opens FILE (it may get the number
//                   the shim's report file had) and makes a timerfd site;
//                   writes "mine" to FILE        -> "done 1"
//   raw_close FILE [DIR]  a raw close_range(3, ~0U) system call (no
//                   interposer sees it), then (with DIR) a chdir to DIR,
//                   then FILE is opened at every number from 3 to 1023 the
//                   program can take, then a timerfd site -> "done 1"
//   vfork           a timerfd left to expire (a pending tick), a vfork
//                   child that closes it and _exits, then a re-arm
//                                                -> "stale 0|1"
//   _fork           a timerfd armed 3 times at one site, then an _Fork
//                   child that exits through exit() -> "child_status N"
//   disarm          a timerfd armed, then disarmed -> "done 1"
//   io_uring        an io_uring (a raw io_uring_setup) still open at exit,
//                   and one timerfd site   -> "done 1" or "skip REASON"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timer_util.h"

pid_t _Fork(void);

static int MakeTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
}

static int WriteMine(int fd) {
  return write(fd, "mine\n", 5) == 5 ? 0 : 3;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "";
  if (strcmp(what, "closefrom") == 0 && argc > 2) {
    closefrom(3);
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 2;
    if (MakeTimer() < 0) return 2;
    if (WriteMine(fd) != 0) return 3;
    printf("done 1\n");
    return 0;
  }
  if (strcmp(what, "raw_close") == 0 && argc > 2) {
    syscall(SYS_close_range, 3U, ~0U, 0U);
    if (argc > 3 && chdir(argv[3]) != 0) return 2;
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 2;
    for (int n = 3; n < 1024; ++n) fcntl(fd, F_DUPFD, n);  // every free number up to 1023
    if (MakeTimer() < 0) return 2;
    if (WriteMine(fd) != 0) return 3;
    printf("done 1\n");
    return 0;
  }
  if (strcmp(what, "vfork") == 0) {
    int fd = MakeTimer();
    if (fd < 0 || Arm(fd, 1000000) != 0) return 2;
    SpinNs(20000000);  // the expiration is pending
    pid_t pid = vfork();
    if (pid == 0) {
      close(fd);
      _exit(0);
    }
    if (pid < 0) return 2;
    waitpid(pid, NULL, 0);
    if (Arm(fd, 10000000000L) != 0) return 3;
    struct pollfd p = {fd, POLLIN, 0};
    printf("stale %d\n", poll(&p, 1, 0) == 1);
    return 0;
  }
  if (strcmp(what, "_fork") == 0) {
    int fd = MakeTimer();
    for (int i = 0; i < 3; ++i) Arm(fd, 10000000000L);
    fflush(stdout);
    pid_t pid = _Fork();
    if (pid == 0) exit(0);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child_status %d\n", status);
    return 0;
  }
  if (strcmp(what, "io_uring") == 0) {
    // A raw io_uring_setup, as liburing makes it: no libc call the shim sees.
    char params[120];
    memset(params, 0, sizeof params);
    long fd = syscall(SYS_io_uring_setup, 4, params);
    if (fd < 0) {
      printf("skip io_uring_setup: %s\n", strerror(errno));
      return 0;
    }
    if (MakeTimer() < 0) return 2;
    printf("done 1\n");
    return 0;  // exit() with the ring open
  }
  if (strcmp(what, "disarm") == 0) {
    int fd = MakeTimer();
    Arm(fd, 10000000000L);
    Arm(fd, 0);
    printf("done 1\n");
    return 0;
  }
  fprintf(stderr, "usage: %s closefrom|raw_close FILE | vfork | _fork | disarm\n", argv[0]);
  return 100;
}
