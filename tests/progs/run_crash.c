/* Ends the way argv[1] says: "segv", "abort", "kill" (its own SIGKILL) or
 * "exit N". The signals are raised, not provoked, so the result does not
 * depend on the compiler or a sanitizer's handler. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  if (strcmp(argv[1], "segv") == 0) {
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
  } else if (strcmp(argv[1], "abort") == 0) {
    abort();
  } else if (strcmp(argv[1], "kill") == 0) {
    raise(SIGKILL);
  } else if (strcmp(argv[1], "exit") == 0 && argc > 2) {
    return atoi(argv[2]);
  }
  return 101;
}
