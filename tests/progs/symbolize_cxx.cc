// C++ functions in a namespace, a member function, a template, functions
// with internal linkage (anonymous namespace, one inlined) and an inlined
// lambda: names come out demangled and qualified.
#include "symbolize_where.h"

namespace tbsym {
namespace {

TB_NOINLINE void Helper(int n) {
  tb_where("helper", __LINE__, 0, 0);
  TB_NO_TAIL();
  (void)n;
}

inline __attribute__((always_inline)) void InlineHelper(int caller_line) {
  tb_where("inline_helper", __LINE__, caller_line, 0);
  TB_NO_TAIL();
}

}  // namespace

struct Clock {
  TB_NOINLINE static void Tick(int n);
};

void Clock::Tick(int n) {
  tb_where("tick", __LINE__, 0, 0);
  Helper(n);
  InlineHelper(__LINE__);
  auto nap = [](int caller_line) __attribute__((always_inline)) {
    tb_where("inline_lambda", __LINE__, caller_line, 0);
    TB_NO_TAIL();
  };
  nap(__LINE__);
  TB_NO_TAIL();
}

template <typename T>
TB_NOINLINE void Arm(T value) {
  tb_where("arm", __LINE__, 0, 0);
  Clock::Tick(static_cast<int>(value));
  TB_NO_TAIL();
}

}  // namespace tbsym

int main() {
  tbsym::Arm<long>(3);
  return 0;
}
