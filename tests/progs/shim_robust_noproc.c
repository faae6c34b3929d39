// A process that loses /proc: a 2 ms timerfd expires unread, the program
// chroots into argv[1] (an empty directory), re-arms the timerfd for 10 s
// and reads it without blocking. Prints "chroot 0" where it may not
// chroot, else "stale 0|1": whether the old expiration was still there.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct itimerspec soon = {{0, 0}, {0, 2000000}}, later = {{0, 0}, {10, 0}};
  if (fd < 0 || timerfd_settime(fd, 0, &soon, NULL) != 0) return 2;
  struct timespec wait = {0, 20000000};
  nanosleep(&wait, NULL);
  if (chroot(argv[1]) != 0 || chdir("/") != 0) {
    printf("chroot 0\n");
    return 0;
  }
  if (timerfd_settime(fd, 0, &later, NULL) != 0) return 2;
  uint64_t ticks = 0;
  printf("stale %d\n", read(fd, &ticks, sizeof ticks) == sizeof ticks);
  return 0;
}
