#include "real.h"

#include <dlfcn.h>

#include "guard.h"

// The linker defines these around the tb_real_symbols section.
extern "C" timerbisect::shim::RealSymbol* const __start_tb_real_symbols[]
    __attribute__((weak, visibility("hidden")));
extern "C" timerbisect::shim::RealSymbol* const __stop_tb_real_symbols[]
    __attribute__((weak, visibility("hidden")));

namespace timerbisect::shim {

void* ResolveReal(const char* name, const char* version) {
  ReentrancyGuard guard;
  return version != nullptr ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
}

void ResolveAllReal() {
  for (RealSymbol* const* it = __start_tb_real_symbols; it != __stop_tb_real_symbols; ++it) {
    (*it)->address();
  }
}

}  // namespace timerbisect::shim
