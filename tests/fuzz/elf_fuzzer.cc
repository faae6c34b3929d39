// libFuzzer target: the shim's symbol-table reader (shim/elf_symbols.cc,
// compiled in) on arbitrary file images. The shim runs it on the files of
// the modules a program has loaded; a file changed or damaged on disk must
// give no index, or an index whose every entry is sound, never a crash or
// a read outside the image.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "elf_symbols.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace timerbisect::shim;
  // Aligned as a mapping is (the reader relies on it), and exactly `size`
  // bytes long, so that ASan sees any read past the end.
  std::vector<std::uint64_t> words((size + 7) / 8);
  if (size > 0) std::memcpy(words.data(), data, size);
  auto* image = reinterpret_cast<const unsigned char*>(words.data());
  ElfSymbolIndex index;
  if (!IndexElfSymbols(image, size, 0, nullptr, index)) {
    Check(index.symbols == nullptr && index.count == 0);
    return 0;
  }
  Check(index.count > 0);
  for (std::size_t i = 0; i < index.count; ++i) {
    const ElfSymbol& s = index.symbols[i];
    Check(s.start < s.end);
    if (i > 0) Check(index.symbols[i - 1].start <= s.start);
    const char* name = index.strings + s.name;
    Check(reinterpret_cast<const unsigned char*>(name) >= image &&
          reinterpret_cast<const unsigned char*>(name) < image + size);
    Check(std::memchr(name, '\0',
                      static_cast<std::size_t>(
                          image + size - reinterpret_cast<const unsigned char*>(name))) != nullptr);
    Check(FindFunction(index, s.start) != nullptr);
  }
  FindFunction(index, 0);
  FindFunction(index, UINT64_MAX);
  ReleaseIndex(index);
  return 0;
}
