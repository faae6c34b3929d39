// The shim's symbol-table reader (shim/elf_symbols.cc) on small ELF files
// kept with the fuzzer's corpus (tests/fuzz/corpus/elf): what it indexes,
// what it refuses. They were built (gcc 12) from
//   static int helper(int x) { return x * 3; }
//   int tiny_exported(int x) { return helper(x) + 1; }
//   void _start(void) { for (;;) tiny_exported(1); }
// with -O1 -fno-inline -nostdlib -Wl,--build-id=none and then
//   static_symtab:      -static -Wl,-N
//   shared_symtab:      -shared -fPIC -Wl,-z,max-page-size=16 -Wl,-z,noseparate-code
//   shared_dynsym_only: shared_symtab after `strip` (no .symtab)
#include <elf.h>
#include <gtest/gtest.h>
#include <link.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "elf_symbols.h"

namespace timerbisect::shim {
namespace {

// The file, in memory aligned as a mapping would be.
struct Image {
  std::vector<std::uint64_t> words;
  std::size_t size = 0;
  const unsigned char* data() const { return reinterpret_cast<const unsigned char*>(words.data()); }
};

Image Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Image image;
  image.size = bytes.size();
  image.words.resize((bytes.size() + 7) / 8);
  if (!bytes.empty()) std::memcpy(image.words.data(), bytes.data(), bytes.size());
  return image;
}

Image Corpus(const std::string& name) {
  Image image = Load(std::string(TIMERBISECT_ELF_CORPUS) + "/" + name);
  EXPECT_GT(image.size, 0u) << name;
  return image;
}

std::set<std::string> Names(const ElfSymbolIndex& index) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < index.count; ++i) names.insert(index.strings + index.symbols[i].name);
  return names;
}

TEST(ElfSymbols, FullTableHasStaticFunctions) {
  Image image = Corpus("static_symtab");
  ElfSymbolIndex index;
  ASSERT_TRUE(IndexElfSymbols(image.data(), image.size, 0, nullptr, index));
  EXPECT_EQ(Names(index), (std::set<std::string>{"helper", "tiny_exported", "_start"}));
  for (std::size_t i = 0; i < index.count; ++i) {
    const ElfSymbol& s = index.symbols[i];
    if (i > 0) {
      EXPECT_LE(index.symbols[i - 1].start, s.start);
    }
    EXPECT_STREQ(FindFunction(index, s.start), index.strings + s.name);
    EXPECT_STREQ(FindFunction(index, s.end - 1), index.strings + s.name);
  }
  EXPECT_EQ(FindFunction(index, index.symbols[0].start - 1), nullptr);
  EXPECT_EQ(FindFunction(index, index.symbols[index.count - 1].end + 100), nullptr);
  ReleaseIndex(index);
  EXPECT_EQ(index.symbols, nullptr);
}

TEST(ElfSymbols, StrippedFileFallsBackToDynamicSymbols) {
  Image image = Corpus("shared_dynsym_only");
  ElfSymbolIndex index;
  ASSERT_TRUE(IndexElfSymbols(image.data(), image.size, 0, nullptr, index));
  EXPECT_EQ(Names(index), (std::set<std::string>{"tiny_exported", "_start"}));
  ReleaseIndex(index);
}

// The loader's dynamic section must be where this file would put it: a
// library rebuilt in place since it was loaded is not read.
TEST(ElfSymbols, FileWhoseDynamicSectionIsElsewhereIsRefused) {
  Image image = Corpus("shared_symtab");
  const auto* ehdr = reinterpret_cast<const ElfW(Ehdr)*>(image.data());
  const auto* phdrs = reinterpret_cast<const ElfW(Phdr)*>(image.data() + ehdr->e_phoff);
  std::uint64_t dynamic_vaddr = 0;
  for (int i = 0; i < ehdr->e_phnum; ++i) {
    if (phdrs[i].p_type == PT_DYNAMIC) dynamic_vaddr = phdrs[i].p_vaddr;
  }
  ASSERT_NE(dynamic_vaddr, 0u);
  const std::uint64_t bias = 0x7f0000000000;
  ElfSymbolIndex index;
  EXPECT_FALSE(IndexElfSymbols(image.data(), image.size, bias,
                               reinterpret_cast<const void*>(bias + dynamic_vaddr + 16), index));
  EXPECT_EQ(index.symbols, nullptr);
  ASSERT_TRUE(IndexElfSymbols(image.data(), image.size, bias,
                              reinterpret_cast<const void*>(bias + dynamic_vaddr), index));
  EXPECT_EQ(Names(index), (std::set<std::string>{"helper", "tiny_exported", "_start"}));
  ReleaseIndex(index);
}

TEST(ElfSymbols, EveryTruncationIsRefusedOrIndexedWithoutReadingPastTheEnd) {
  Image image = Corpus("shared_symtab");
  int indexed = 0;
  for (std::size_t size = 0; size <= image.size; ++size) {
    // A copy of exactly `size` bytes, so that a read past it is ASan's to see.
    std::vector<std::uint64_t> words((size + 7) / 8);
    if (size > 0) std::memcpy(words.data(), image.data(), size);
    ElfSymbolIndex index;
    if (IndexElfSymbols(reinterpret_cast<const unsigned char*>(words.data()), size, 0, nullptr,
                        index)) {
      ++indexed;
      ReleaseIndex(index);
    }
  }
  // The section headers are at the end of the file: only the whole file.
  EXPECT_EQ(indexed, 1);
}

TEST(ElfSymbols, NotAnElfFileIsRefused) {
  const unsigned char text[64] = "#!/bin/sh\necho this is not an ELF file\n";
  ElfSymbolIndex index;
  EXPECT_FALSE(IndexElfSymbols(text, sizeof text, 0, nullptr, index));
}

TEST(ElfSymbols, ThisTestProgramNamesItsOwnFunctions) {
  Image image = Load("/proc/self/exe");
  ElfSymbolIndex index;
  ASSERT_TRUE(IndexElfSymbols(image.data(), image.size, 0, nullptr, index));
  EXPECT_EQ(Names(index).count("main"), 1u);
  ReleaseIndex(index);
}

}  // namespace
}  // namespace timerbisect::shim
