/* Does what the shim does with its report file: every process appends whole
 * lines to $TIMERSEM_REPORT with O_APPEND. Here a parent and its forked child
 * each write one line. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char* who) {
  const char* path = getenv("TIMERSEM_REPORT");
  if (path == NULL) return 1;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return 1;
  char line[64];
  int n = snprintf(line, sizeof line, "%s %d\n", who, (int)getpid());
  int ok = write(fd, line, (size_t)n) == n;
  close(fd);
  return ok ? 0 : 1;
}

int main(void) {
  if (report("parent") != 0) return 2;
  pid_t child = fork();
  if (child < 0) return 3;
  if (child == 0) _exit(report("child"));
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return 4;
  return WEXITSTATUS(status) == 0 ? 0 : 5;
}
