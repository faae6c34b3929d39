#include "real.h"

#include <dlfcn.h>

#include "guard.h"

namespace timerbisect::shim {

void* ResolveReal(const char* name, const char* version) {
  ReentrancyGuard guard;
  return version != nullptr ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
}

}  // namespace timerbisect::shim
