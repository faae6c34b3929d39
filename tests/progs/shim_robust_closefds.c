// A program that closes every descriptor it did not open itself before it
// uses timers, as daemons and sandboxes do; argv[1] says which:
//   range   close_range(3, ~0U, 0): every descriptor above stderr, the shim's
//           report file included
//   stderr  close(2)
//   both    both of the above
// argv[2] is a data file of the program's own, opened after the closing
// (it may get the number the shim's report file had). Then two timer
// sites: a timerfd re-armed after it expired (stale), and a second timerfd
// created after the data file is open. Prints on stdout (fd 1 stays open):
//   stale 0|1         was the old expiration still readable after the re-arm?
//   data_intact 0|1   does the data file hold exactly what the program wrote?
//   done 1
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "timer_util.h"

static const char kData[] = "the program's own data\n";

__attribute__((noinline)) static int NewRearmedTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

__attribute__((noinline)) static int NewLateTimer(void) {
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
}

int main(int argc, char** argv) {
  if (argc < 3) return 100;
  const char* how = argv[1];
  if (strcmp(how, "range") == 0 || strcmp(how, "both") == 0) {
    if (close_range(3, ~0U, 0) != 0) return 3;
  }
  if (strcmp(how, "stderr") == 0 || strcmp(how, "both") == 0) close(2);

  int data = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (data < 0) return 4;
  if (write(data, kData, sizeof kData - 1) != (ssize_t)(sizeof kData - 1)) return 5;

  int fd = NewRearmedTimer();
  if (fd < 0) return 6;
  if (Arm(fd, 1000000) != 0) return 7;
  SpinNs(20000000);
  if (Arm(fd, 10000000000L) != 0) return 8;
  struct pollfd p = {fd, POLLIN, 0};
  printf("stale %d\n", poll(&p, 1, 0) == 1);

  int late = NewLateTimer();
  if (late < 0) return 9;
  if (Arm(late, 10000000000L) != 0) return 10;

  char back[256];
  ssize_t n = pread(data, back, sizeof back, 0);
  printf("data_intact %d\n",
         n == (ssize_t)(sizeof kData - 1) && memcmp(back, kData, sizeof kData - 1) == 0);
  close(late);
  close(fd);
  close(data);
  printf("done 1\n");
  return 0;
}
