#include "real.h"

#include <dlfcn.h>

#include "guard.h"

// The linker defines these around the tb_real_symbols section.
extern "C" timerbisect::shim::RealSymbol* const __start_tb_real_symbols[]
    __attribute__((weak, visibility("hidden")));
extern "C" timerbisect::shim::RealSymbol* const __stop_tb_real_symbols[]
    __attribute__((weak, visibility("hidden")));

namespace timerbisect::shim {

namespace {

bool SameObject(void* a, void* b) {
  Dl_info info_a, info_b;
  return dladdr(a, &info_a) != 0 && dladdr(b, &info_b) != 0 && info_a.dli_fbase == info_b.dli_fbase;
}

// Whether `fn`, found in some object by its exact version, is also what that
// object gives a caller who names no version: its default. The handle is
// never closed: the shim intercepts dlclose, whose own resolution comes
// here, and the object is one loaded at startup (libc, a preloaded
// interposer), which is never unloaded, so the count it keeps changes
// nothing.
bool IsDefaultOfItsObject(void* fn, const char* name) {
  Dl_info info;
  if (dladdr(fn, &info) == 0 || info.dli_fname == nullptr) return false;
  void* owner = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  return owner != nullptr && dlsym(owner, name) == fn;
}

// The exact version, unless the caller bound libc's default version and an
// interposer stands between the shim and libc: then the interposer. An
// interposer (libtsan.so, another LD_PRELOAD library) usually exports the
// name unversioned, which dlvsym never matches, so the shim used to call
// past it: under gcc's ThreadSanitizer, a pthread_cond_timedwait it never saw
// showed as a "double lock of a mutex" in the program. An old version keeps
// libc's own function: an unversioned interposer implements today's ABI.
void* ResolveVersioned(const char* name, const char* version) {
  void* exact = dlvsym(RTLD_NEXT, name, version);
  if (exact == nullptr || !IsDefaultOfItsObject(exact, name)) return exact;
  void* next = dlsym(RTLD_NEXT, name);
  return next != nullptr && !SameObject(next, exact) ? next : exact;
}

}  // namespace

void* ResolveReal(const char* name, const char* version) {
  ReentrancyGuard guard;
  return version != nullptr ? ResolveVersioned(name, version) : dlsym(RTLD_NEXT, name);
}

void ResolveAllReal() {
  for (RealSymbol* const* it = __start_tb_real_symbols; it != __stop_tb_real_symbols; ++it) {
    (*it)->address();
  }
}

}  // namespace timerbisect::shim
