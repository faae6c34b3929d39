// A noinline chain inside a shared library: its offsets are relative to the
// library's own load address, not the executable's.
#include "symbolize_lib.h"

#include "symbolize_where.h"

TB_NOINLINE void symbolize_lib_inner(void) {
  tb_where("lib_inner", __LINE__, 0, 0);
  TB_NO_TAIL();
}

TB_NOINLINE void symbolize_lib_entry(void) {
  tb_where("lib_entry", __LINE__, 0, 0);
  symbolize_lib_inner();
  TB_NO_TAIL();
}
