#include "symbols.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>

#include "elf_symbols.h"

namespace timerbisect::shim {
namespace {

// One module's index. Identified by the loader's link_map, load bias and
// path, since a link_map freed by dlclose can be reused for another library.
struct ModuleSymbols {
  const link_map* map = nullptr;
  ElfW(Addr) bias = 0;
  char path[256] = "";
  bool readable = false;  // false: the file could not be indexed; ask dladdr
  ElfSymbolIndex index;
};

constexpr std::size_t kModuleSlots = 1024;
std::atomic<ModuleSymbols*> g_modules[kModuleSlots];

const char* ModulePath(const link_map* map) {
  // The main program has an empty name; /proc/self/exe is its file even if
  // the path it was started from has changed since.
  return (map->l_name != nullptr && map->l_name[0] != '\0') ? map->l_name : "/proc/self/exe";
}

bool SameModule(const ModuleSymbols& m, const link_map* map) {
  return m.map == map && m.bias == map->l_addr &&
         std::strncmp(m.path, ModulePath(map), sizeof m.path - 1) == 0;
}

// Maps the module's file (for good: names point into it) and indexes it.
bool ReadSymbols(const link_map* map, ElfSymbolIndex& out) {
  long fd = syscall(SYS_openat, AT_FDCWD, ModulePath(map), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  // mmap as a raw system call too, like the open and close around it: a
  // sanitizer that intercepts mmap would take the descriptor for one of the
  // program's, which it never saw open (ThreadSanitizer reported a race
  // with the program's close of an earlier descriptor of that number).
  long mapped = -1;
  if (syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    // Every argument a long: the kernel reads whole registers, and an int
    // passed through syscall's "..." leaves the upper half undefined (a
    // garbage offset mapped past the end of the file: SIGBUS on reading).
    mapped = syscall(SYS_mmap, 0L, static_cast<long>(st.st_size), long{PROT_READ},
                     long{MAP_PRIVATE}, fd, 0L);
  }
  syscall(SYS_close, fd);
  if (mapped == -1) return false;
  void* file = reinterpret_cast<void*>(mapped);
  const auto size = static_cast<std::size_t>(st.st_size);
  if (IndexElfSymbols(static_cast<const unsigned char*>(file), size, map->l_addr, map->l_ld, out)) {
    return true;
  }
  syscall(SYS_munmap, mapped, static_cast<long>(size));  // as it was mapped
  return false;
}

// The module's index, built on first use. nullptr when every slot is taken.
const ModuleSymbols* SymbolsOf(const link_map* map) {
  std::size_t start = (reinterpret_cast<std::uintptr_t>(map) >> 4) % kModuleSlots;
  for (std::size_t probe = 0; probe < kModuleSlots; ++probe) {
    std::atomic<ModuleSymbols*>& slot = g_modules[(start + probe) % kModuleSlots];
    ModuleSymbols* m = slot.load(std::memory_order_acquire);
    if (m != nullptr) {
      if (SameModule(*m, map)) return m;
      continue;
    }
    void* mapped = mmap(nullptr, sizeof(ModuleSymbols), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return nullptr;
    auto* built = new (mapped) ModuleSymbols();
    built->map = map;
    built->bias = map->l_addr;
    std::strncpy(built->path, ModulePath(map), sizeof built->path - 1);
    built->readable = ReadSymbols(map, built->index);
    ModuleSymbols* expected = nullptr;
    if (slot.compare_exchange_strong(expected, built, std::memory_order_acq_rel)) return built;
    // Another thread took the slot first (rare: a race on one module). Its
    // file mapping stays; names may point into it.
    ReleaseIndex(built->index);
    munmap(built, sizeof(ModuleSymbols));
    if (SameModule(*expected, map)) return expected;
  }
  return nullptr;
}

}  // namespace

const char* FunctionName(void* pc) {
  dl_find_object obj;
  if (_dl_find_object(pc, &obj) == 0 && obj.dlfo_link_map != nullptr) {
    const link_map* map = obj.dlfo_link_map;
    const ModuleSymbols* m = SymbolsOf(map);
    if (m != nullptr && m->readable) {
      // A return address follows its call, which may be the function's
      // last instruction: look up the call.
      return FindFunction(m->index, reinterpret_cast<std::uintptr_t>(pc) - 1 - map->l_addr);
    }
  }
  Dl_info info{};
  if (dladdr(pc, &info) != 0 && info.dli_sname != nullptr) return info.dli_sname;
  return nullptr;
}

void IndexCommonModules() {
  // The program is the loader's first module; reading the head of its list
  // takes no lock (dl_iterate_phdr would take the loader's).
  if (const link_map* program = _r_debug.r_map; program != nullptr) SymbolsOf(program);
  // libc.
  FunctionName(reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(&::getpid) + 1));
}

}  // namespace timerbisect::shim
