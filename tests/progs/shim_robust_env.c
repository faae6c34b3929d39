// A quick target for bad environment values: one timerfd site and one
// short sleep, then "done 1". Under an active shim with a reporting
// pattern both sites are reported; under an inert one nothing is.
#include <stdio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  if (fd < 0) return 2;
  struct itimerspec later = {{0, 0}, {10, 0}}, zero = {{0, 0}, {0, 0}};
  if (timerfd_settime(fd, 0, &later, NULL) != 0) return 3;
  if (timerfd_settime(fd, 0, &zero, NULL) != 0) return 4;
  struct timespec ten_us = {0, 10000};
  nanosleep(&ten_us, NULL);
  close(fd);
  printf("done 1\n");
  return 0;
}
