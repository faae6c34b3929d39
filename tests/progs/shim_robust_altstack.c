// A timer call in a signal handler that runs on a small alternate stack:
// the kernel's minimum for a signal frame (AT_MINSIGSTKSZ) plus argv[1]
// bytes, with an inaccessible page below it so that an overflow faults
// instead of writing over the heap. The SIGUSR1 handler makes a 10 us
// nanosleep and a timerfd arming. Prints "handled 1".
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

static volatile sig_atomic_t handled = 0;

static void OnUsr1(int sig) {
  (void)sig;
  struct timespec tiny = {0, 10000};
  nanosleep(&tiny, NULL);
  int fd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec soon = {{0, 0}, {0, 20000}};
  timerfd_settime(fd, 0, &soon, NULL);
  close(fd);
  handled = 1;
}

int main(int argc, char** argv) {
  long minimum = (long)getauxval(AT_MINSIGSTKSZ);
  if (minimum <= 0) minimum = MINSIGSTKSZ;
  long size = minimum + (argc > 1 ? atol(argv[1]) : 8192);
  long page = sysconf(_SC_PAGESIZE);
  char* mapped =
      mmap(NULL, (size_t)(size + page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED || mprotect(mapped, (size_t)page, PROT_NONE) != 0) return 2;
  stack_t alternate = {.ss_sp = mapped + page, .ss_size = (size_t)size};
  if (sigaltstack(&alternate, NULL) != 0) return 2;
  struct sigaction sa = {0};
  sa.sa_handler = OnUsr1;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("handled %d\n", (int)handled);
  return 0;
}
