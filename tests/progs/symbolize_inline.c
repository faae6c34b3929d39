// Two levels of always_inline functions inlined into a noinline one, built
// with -O2: the call point must come out as three frames.
#include "symbolize_inline.h"

volatile int inline_sink;

TB_NOINLINE void inline_outer(int n) {
  for (int i = 0; i < n; ++i) {
    int scaled = i * 3;  // a local, so the loop body is a lexical block
    inline_sink = scaled;
    inline_middle(__LINE__);
    inline_sink = scaled + 1;
  }
}

int main(void) {
  inline_outer(1);
  return 0;
}
