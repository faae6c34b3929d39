// Fails about 30% of its runs at random, whatever its timers do: the
// target a triage must not call timer-sensitive. It uses a timer so that
// the shim sees a site.
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec seed;
  clock_gettime(CLOCK_MONOTONIC, &seed);
  srand((unsigned)(seed.tv_nsec ^ getpid()));
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  struct itimerspec v = {{0, 0}, {1, 0}};
  timerfd_settime(fd, 0, &v, NULL);
  close(fd);
  if (rand() % 10 < 3) {
    printf("random failure\n");
    return 1;
  }
  return 0;
}
