// A module's function symbols, read from its ELF file image and sorted by
// address: the parsing half of shim/symbols.h, apart so that it can be
// fuzzed (tests/fuzz/elf_fuzzer.cc). No malloc and no lock: the index goes
// into an anonymous mapping (mmap), names point into the image.
#pragma once

#include <cstddef>
#include <cstdint>

namespace timerbisect::shim {

struct ElfSymbol {
  std::uint64_t start;  // st_value: an address in the module before relocation
  std::uint64_t end;    // start + st_size
  std::uint32_t name;   // offset in the string table
  bool global;          // ties at one address go to the global name (as dladdr's)
};

struct ElfSymbolIndex {
  const ElfSymbol* symbols = nullptr;  // mapped; nullptr: none
  std::size_t count = 0;
  const char* strings = nullptr;  // the string table, in the image
};

// Indexes the function symbols of the 64-bit ELF image [file, file + size):
// .symtab, else .dynsym. `dynamic`, when not null, is where the loader put
// the module's dynamic section, `bias` its load bias: an image whose dynamic
// section would be elsewhere is not the loaded file (rebuilt since), and is
// refused. False, with `out` untouched, for anything malformed or without
// function symbols.
bool IndexElfSymbols(const unsigned char* file, std::size_t size, std::uint64_t bias,
                     const void* dynamic, ElfSymbolIndex& out);

// The name of the function containing `address` (before relocation), or
// nullptr.
const char* FindFunction(const ElfSymbolIndex& index, std::uint64_t address);

// Unmaps the index's symbols (not the image).
void ReleaseIndex(ElfSymbolIndex& index);

}  // namespace timerbisect::shim
