#include "elf_symbols.h"

#include <elf.h>
#include <link.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

namespace timerbisect::shim {
namespace {

// [offset, offset + length) lies inside an image of `size` bytes. (The
// image is page-aligned, so an offset aligned for a type is too.)
bool Inside(std::uint64_t offset, std::uint64_t length, std::size_t size) {
  return offset <= size && length <= size - offset;
}

}  // namespace

bool IndexElfSymbols(const unsigned char* file, std::size_t size, std::uint64_t bias,
                     const void* dynamic, ElfSymbolIndex& out) {
  if (size < sizeof(ElfW(Ehdr))) return false;
  const auto* ehdr = reinterpret_cast<const ElfW(Ehdr)*>(file);
  if (std::memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0 || ehdr->e_ident[EI_CLASS] != ELFCLASS64 ||
      ehdr->e_shentsize != sizeof(ElfW(Shdr)) || ehdr->e_shoff % alignof(ElfW(Shdr)) != 0 ||
      !Inside(ehdr->e_shoff, std::uint64_t{ehdr->e_shnum} * sizeof(ElfW(Shdr)), size)) {
    return false;
  }
  if (dynamic != nullptr) {
    if (ehdr->e_phentsize != sizeof(ElfW(Phdr)) || ehdr->e_phoff % alignof(ElfW(Phdr)) != 0 ||
        !Inside(ehdr->e_phoff, std::uint64_t{ehdr->e_phnum} * sizeof(ElfW(Phdr)), size)) {
      return false;
    }
    const auto* segments = reinterpret_cast<const ElfW(Phdr)*>(file + ehdr->e_phoff);
    for (unsigned i = 0; i < ehdr->e_phnum; ++i) {
      if (segments[i].p_type == PT_DYNAMIC &&
          bias + segments[i].p_vaddr != reinterpret_cast<std::uintptr_t>(dynamic)) {
        return false;
      }
    }
  }
  const auto* sections = reinterpret_cast<const ElfW(Shdr)*>(file + ehdr->e_shoff);
  const ElfW(Shdr)* table = nullptr;
  for (unsigned i = 0; i < ehdr->e_shnum; ++i) {
    if (sections[i].sh_type == SHT_SYMTAB) table = &sections[i];
    if (sections[i].sh_type == SHT_DYNSYM && table == nullptr) table = &sections[i];
  }
  if (table == nullptr || table->sh_link >= ehdr->e_shnum ||
      table->sh_entsize != sizeof(ElfW(Sym)) || table->sh_offset % alignof(ElfW(Sym)) != 0 ||
      !Inside(table->sh_offset, table->sh_size, size)) {
    return false;
  }
  const ElfW(Shdr)& strtab = sections[table->sh_link];
  // Every name must end inside the string table.
  if (strtab.sh_size == 0 || !Inside(strtab.sh_offset, strtab.sh_size, size) ||
      file[strtab.sh_offset + strtab.sh_size - 1] != '\0') {
    return false;
  }
  const auto* syms = reinterpret_cast<const ElfW(Sym)*>(file + table->sh_offset);
  const std::size_t n = table->sh_size / sizeof(ElfW(Sym));
  auto is_function = [&](const ElfW(Sym) & s) {
    int type = ELF64_ST_TYPE(s.st_info);
    return (type == STT_FUNC || type == STT_GNU_IFUNC) && s.st_shndx != SHN_UNDEF &&
           s.st_value != 0 && s.st_size != 0 && s.st_value + s.st_size > s.st_value &&
           s.st_name < strtab.sh_size;
  };
  const auto count = static_cast<std::size_t>(std::count_if(syms, syms + n, is_function));
  if (count == 0) return false;
  void* mapped = mmap(nullptr, count * sizeof(ElfSymbol), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return false;
  auto* symbols = static_cast<ElfSymbol*>(mapped);
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_function(syms[i])) continue;
    symbols[k++] = {syms[i].st_value, syms[i].st_value + syms[i].st_size, syms[i].st_name,
                    ELF64_ST_BIND(syms[i].st_info) != STB_LOCAL};
  }
  std::sort(symbols, symbols + count, [](const ElfSymbol& a, const ElfSymbol& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.global != b.global) return a.global;
    return a.name < b.name;
  });
  out.symbols = symbols;
  out.count = count;
  out.strings = reinterpret_cast<const char*>(file + strtab.sh_offset);
  return true;
}

const char* FindFunction(const ElfSymbolIndex& index, std::uint64_t address) {
  const ElfSymbol* first = index.symbols;
  const ElfSymbol* last = index.symbols + index.count;
  const ElfSymbol* it = std::upper_bound(
      first, last, address, [](std::uint64_t a, const ElfSymbol& s) { return a < s.start; });
  // The nearest start below may be a symbol nested in a larger one (rare):
  // look a few further back for one that contains the address.
  for (int back = 0; back < 8 && it != first; ++back) {
    --it;
    if (address < it->end) {
      // The first of the symbols that start here (the global one).
      while (it != first && (it - 1)->start == it->start) --it;
      return index.strings + it->name;
    }
  }
  return nullptr;
}

void ReleaseIndex(ElfSymbolIndex& index) {
  if (index.symbols != nullptr) {
    munmap(const_cast<ElfSymbol*>(index.symbols), index.count * sizeof(ElfSymbol));
  }
  index = {};
}

}  // namespace timerbisect::shim
