// A timer created in a function without unwind information or frame
// pointer (robust_nounwind_leaf.c): the shim's stack walk must not crash
// and must give the site the same ID in every run. The timerfd is then
// re-armed after it expired (stale). Prints "stale 0|1", "done 1".
#include <poll.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "timer_util.h"

#include "robust_nounwind_leaf.h"

int main(void) {
  int fd = CreateTimerWithoutUnwindInfo();
  if (fd < 0) return 2;
  if (Arm(fd, 1000000) != 0) return 3;
  SpinNs(20000000);
  if (Arm(fd, 10000000000L) != 0) return 4;
  struct pollfd p = {fd, POLLIN, 0};
  printf("stale %d\ndone 1\n", poll(&p, 1, 0) == 1);
  return 0;
}
