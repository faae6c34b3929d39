/* Leaves a child that escapes the probe's process group (setsid) with the
 * output pipe still open, prints "escaped PID" and exits 0. The launcher
 * cannot kill it with the group; it must stop reading after its drain bound
 * instead of waiting for EOF. The test kills PID afterwards. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  int sync[2];
  if (pipe(sync) != 0) return 1;
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    close(sync[0]);
    setsid();
    printf("escaped %d\n", (int)getpid());
    fflush(stdout);
    close(sync[1]); /* tells the parent it has left the group */
    sleep(1000);
    _exit(0);
  }
  close(sync[1]);
  char c;
  while (read(sync[0], &c, 1) > 0) {
  }
  return 0;
}
