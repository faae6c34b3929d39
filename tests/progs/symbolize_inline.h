// always_inline functions for the symbolize inline test, in a header so the
// inlined frames' file differs from their caller's.
#ifndef TIMERBISECT_TESTS_PROGS_SYMBOLIZE_INLINE_H_
#define TIMERBISECT_TESTS_PROGS_SYMBOLIZE_INLINE_H_

#include "symbolize_where.h"

// Prints the lines of the whole expected chain: this call (in inline_leaf),
// the call of inline_leaf (in inline_middle), the call of inline_middle (in
// the .c file).
static inline __attribute__((always_inline)) void inline_leaf(int middle_line, int outer_line) {
  tb_where("inlined", __LINE__, middle_line, outer_line);
  TB_NO_TAIL();
}

static inline __attribute__((always_inline)) void inline_middle(int outer_line) {
  inline_leaf(__LINE__, outer_line);
  TB_NO_TAIL();
}

#endif  // TIMERBISECT_TESTS_PROGS_SYMBOLIZE_INLINE_H_
