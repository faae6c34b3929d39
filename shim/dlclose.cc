// dlclose: no timer, but an unload lets another library be mapped at the
// addresses of the one that left, and the site cache is keyed by raw return
// addresses (site.cc). Each dlclose makes earlier cache entries unreachable,
// before the unload (a walk that starts during it misses the cache) and
// after it (one that was in progress may have cached an old entry).
// glibc 2.34 moved dlclose into libc (@@GLIBC_2.34; @GLIBC_2.2.5 for
// programs linked against libdl): one interceptor per version.
#include <dlfcn.h>

#include "interceptor.h"

namespace timerbisect::shim {

TB_REAL_VERSIONED(dlclose, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(dlclose, v2_2_5, "GLIBC_2.2.5")

namespace {

int Dlclose(RealFunction<decltype(&::dlclose)>& real, void* handle) {
  if (!ShimActive()) return real(handle);
  NoteLibraryUnloading();
  int result = real(handle);
  NoteLibraryUnloading();
  return result;
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int tb_dlclose_v2_34(void* handle) {
  return Dlclose(real_dlclose_v2_34, handle);
}
TB_SYMVER(tb_dlclose_v2_34, "dlclose@@GLIBC_2.34");

TB_EXPORT int tb_dlclose_v2_2_5(void* handle) {
  return Dlclose(real_dlclose_v2_2_5, handle);
}
TB_SYMVER(tb_dlclose_v2_2_5, "dlclose@GLIBC_2.2.5");
