// A test with nothing to do with timers; it always passes.
#include <stdio.h>

int main(void) {
  int sum = 0;
  for (int i = 1; i <= 10; ++i) sum += i;
  printf("sum %d\n", sum);
  return sum == 55 ? 0 : 1;
}
