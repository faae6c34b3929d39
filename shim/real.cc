#include "real.h"

#include <dlfcn.h>
#include <link.h>

#include "guard.h"

// The linker defines these around the tb_real_symbols section.
extern "C" timerbisect::shim::RealSymbol* const __start_tb_real_symbols[]
    __attribute__((weak, visibility("hidden")));
extern "C" timerbisect::shim::RealSymbol* const __stop_tb_real_symbols[]
    __attribute__((weak, visibility("hidden")));

namespace timerbisect::shim {

namespace {

// Through _dl_find_object (glibc 2.35+, as site.cc): a lookup in a sorted
// table. dladdr scans the object's symbol table for the nearest symbol;
// its 100 calls at start-up were 8.8M of the 11.2M instructions of an
// empty program under the inert shim (callgrind), 2.4M with this.
bool SameObject(void* a, void* b) {
  dl_find_object obj_a, obj_b;
  return _dl_find_object(a, &obj_a) == 0 && _dl_find_object(b, &obj_b) == 0 &&
         obj_a.dlfo_link_map == obj_b.dlfo_link_map;
}

// An address from an object's dynamic section: glibc relocates these in
// place on x86_64; an offset below the load address is not yet relocated.
template <typename T>
const T* DynamicPointer(const link_map* map, ElfW(Addr) ptr) {
  return reinterpret_cast<const T*>(ptr >= map->l_addr ? ptr : ptr + map->l_addr);
}

// Whether the definition at `fn` carries no symbol version (a global one in
// its object's .gnu.version, or an object without versions).
bool DefinedUnversioned(void* fn) {
  Dl_info info;
  void* sym_entry = nullptr;
  void* map_entry = nullptr;
  if (dladdr1(fn, &info, &sym_entry, RTLD_DL_SYMENT) == 0 || sym_entry == nullptr ||
      dladdr1(fn, &info, &map_entry, RTLD_DL_LINKMAP) == 0 || map_entry == nullptr) {
    return false;
  }
  const auto* sym = static_cast<const ElfW(Sym)*>(sym_entry);
  const auto* map = static_cast<const link_map*>(map_entry);
  const ElfW(Sym)* symtab = nullptr;
  const ElfW(Half)* versym = nullptr;
  for (const ElfW(Dyn)* d = map->l_ld; d->d_tag != DT_NULL; ++d) {
    if (d->d_tag == DT_SYMTAB) symtab = DynamicPointer<ElfW(Sym)>(map, d->d_un.d_ptr);
    if (d->d_tag == DT_VERSYM) versym = DynamicPointer<ElfW(Half)>(map, d->d_un.d_ptr);
  }
  if (versym == nullptr) return true;
  return symtab != nullptr && (versym[sym - symtab] & 0x7fff) <= VER_NDX_GLOBAL;
}

// What ld.so would have bound the caller's NAME@VERSION to without the
// shim: the first later object that defines NAME at VERSION or without a
// version. dlvsym finds only the former, so it called past an unversioned
// interposer (libtsan.so, another LD_PRELOAD library): under gcc's
// ThreadSanitizer a pthread_cond_timedwait it never saw showed as a "double
// lock of a mutex", and an old-ABI wait went to libc's old condvar while
// the program's pthread_cond_init@GLIBC_2.2.5 had reached libtsan's.
void* ResolveVersioned(const char* name, const char* version) {
  void* exact = dlvsym(RTLD_NEXT, name, version);
  void* next = dlsym(RTLD_NEXT, name);
  if (next != nullptr && (exact == nullptr || !SameObject(next, exact)) &&
      DefinedUnversioned(next)) {
    return next;
  }
  return exact;
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
