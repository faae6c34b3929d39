/* A static program (no PT_INTERP: LD_PRELOAD never reaches it) that a
 * process under the shim executes. Prints "static_helper ARGV1 preload_set
 * 0|1": it runs, and LD_PRELOAD is still in its environment, unused. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  printf("static_helper %s preload_set %d\n", argc > 1 ? argv[1] : "-",
         getenv("LD_PRELOAD") != NULL);
  return 0;
}
