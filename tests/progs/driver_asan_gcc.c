// Built with g++'s AddressSanitizer (libasan.so, dynamic), which exits at
// start when LD_PRELOAD puts another library before its runtime unless
// ASAN_OPTIONS has verify_asan_link_order=0. Sleeps 1 ms and prints "ok".
#include <stdio.h>
#include <time.h>

int main(void) {
  struct timespec ms = {0, 1000000};
  nanosleep(&ms, NULL);
  puts("ok");
  return 0;
}
