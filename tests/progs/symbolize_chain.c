// A noinline chain in the main program (built as PIE, non-PIE, exported,
// stripped), plus a call into a shared library and one label address.
#include "symbolize_lib.h"
#include "symbolize_where.h"

volatile int chain_sink;

TB_NOINLINE void chain_inner(void) {
  tb_where("inner", __LINE__, 0, 0);
  TB_NO_TAIL();
}

TB_NOINLINE void chain_outer(void) {
  tb_where("outer", __LINE__, 0, 0);
  chain_inner();
  TB_NO_TAIL();
}

// A call that is the last instruction of its function: the return address
// is the first byte after chain_fatal, often already the next function.
__attribute__((noreturn)) TB_NOINLINE void chain_exit(int line) {
  tb_print_address("fatal", __builtin_return_address(0), line, 0, 0);
  _exit(0);
}

TB_NOINLINE void chain_fatal(void) {
  chain_exit(__LINE__);
}

TB_NOINLINE void chain_after_fatal(void) {
  chain_sink = 0;
}

int main(void) {
  chain_outer();
  symbolize_lib_entry();
  // An address that is not a return address (the innermost frame of a
  // stack): a label's address is the first instruction of the statement
  // after it, at -O0 exactly.
here:
  chain_sink = __LINE__;
  tb_print_address("label", &&here, chain_sink, 0, 0);
  chain_fatal();
}
