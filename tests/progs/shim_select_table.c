// select() on closed descriptors past the highest one in use: the kernel
// stops at the end of the process's descriptor table, so one past it is
// ignored (select returns 0) and one within it is EBADF. The shim's own
// descriptor (its report file) must not grow the table and turn the
// first kind into the second. Prints one line per number tried:
//   select FD ret R errno E
// and the table size it started with (FDSize), which must not change.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

// FDSize from /proc/self/status, or -1.
static int TableSize(void) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  char line[256];
  int size = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (sscanf(line, "FDSize: %d", &size) == 1) break;
  }
  fclose(f);
  return size;
}

int main(void) {
  int before = TableSize();
  // A timer site, so that the shim is at work in this process.
  int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
  const int fds[] = {100, 300, 600, 900, 1000};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; ++i) {
    int fd = fds[i];
    if (fcntl(fd, F_GETFD) != -1) continue;  // open here (inherited): not a closed one
    fd_set read_set;
    FD_ZERO(&read_set);
    FD_SET(fd, &read_set);
    struct timeval zero = {0, 10};
    errno = 0;
    int r = select(fd + 1, &read_set, NULL, NULL, &zero);
    printf("select %d ret %d errno %s\n", fd, r, r < 0 ? strerrorname_np(errno) : "0");
  }
  printf("table %s\n", TableSize() == before ? "unchanged" : "grew");
  close(tfd);
  return 0;
}
