// For the symbolize test programs: print where a call point is, as the shim
// would record it, so the test can symbolize it and compare with __LINE__.
//
// Each line printed is "TAG MODULE_PATH 0xOFFSET LINE..." where OFFSET is the
// address minus the load bias of the module containing it (dl_iterate_phdr's
// dlpi_addr), and the LINEs are the expected lines, innermost frame first.
//
// The functions are static, so every module (executable, shared library)
// that includes this header has its own copy and return addresses land in
// the module that called.
#ifndef TIMERBISECT_TESTS_PROGS_SYMBOLIZE_WHERE_H_
#define TIMERBISECT_TESTS_PROGS_SYMBOLIZE_WHERE_H_

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// Keeps each function a real, separately called function: noipa also stops
// GCC from cloning it (foo.constprop.0) or inferring facts across the call.
#if defined(__clang__)
#define TB_NOINLINE __attribute__((noinline))
#else
#define TB_NOINLINE __attribute__((noipa))
#endif

// After a call, so it is not a tail call: the return address must point
// back into the caller.
#define TB_NO_TAIL() __asm__ volatile("" ::: "memory")

struct tb_module_search {
  uintptr_t address;
  int found;
  uintptr_t bias;
  char path[PATH_MAX];
};

__attribute__((unused)) static int tb_find_module(struct dl_phdr_info* info, size_t size,
                                                  void* data) {
  (void)size;
  struct tb_module_search* search = (struct tb_module_search*)data;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (search->address < start || search->address - start >= ph->p_memsz) continue;
    search->found = 1;
    search->bias = info->dlpi_addr;
    if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0') {
      snprintf(search->path, sizeof search->path, "%s", info->dlpi_name);
    } else {
      // The main program has an empty name in the link map.
      ssize_t n = readlink("/proc/self/exe", search->path, sizeof search->path - 1);
      search->path[n < 0 ? 0 : n] = '\0';
    }
    return 1;
  }
  return 0;
}

__attribute__((unused)) static void tb_print_address(const char* tag, const void* address, int line,
                                                     int line2, int line3) {
  struct tb_module_search search;
  memset(&search, 0, sizeof search);
  search.address = (uintptr_t)address;
  dl_iterate_phdr(tb_find_module, &search);
  if (!search.found) {
    printf("%s ? 0x0 %d\n", tag, line);
    return;
  }
  printf("%s %s 0x%lx %d", tag, search.path, (unsigned long)(search.address - search.bias), line);
  if (line2 > 0) printf(" %d", line2);
  if (line3 > 0) printf(" %d", line3);
  printf("\n");
  fflush(stdout);
}

// Prints the return address of this call: the call point in the caller.
__attribute__((unused)) static TB_NOINLINE void tb_where(const char* tag, int line, int line2,
                                                         int line3) {
  tb_print_address(tag, __builtin_return_address(0), line, line2, line3);
}

#endif  // TIMERBISECT_TESTS_PROGS_SYMBOLIZE_WHERE_H_
