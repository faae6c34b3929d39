#include "run/elf_inspect.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

namespace timerbisect::run {
namespace {

// Larger tables than these are not headers of a real program.
constexpr std::uint64_t kMaxTableBytes = 16u << 20;

// Go's linker writes its build ID as a note named "Go" of type 4
// (cmd/link/internal/ld/elf.go, ELF_NOTE_GOBUILDID_TAG).
constexpr std::uint32_t kGoBuildIdNote = 4;

bool ReadAt(int fd, std::uint64_t size, std::uint64_t offset, std::uint64_t length, void* out) {
  if (offset > size || length > size - offset) return false;
  auto* p = static_cast<char*>(out);
  while (length > 0) {
    ssize_t n = pread(fd, p, length, static_cast<off_t>(offset));
    if (n <= 0) return false;
    p += n;
    offset += static_cast<std::uint64_t>(n);
    length -= static_cast<std::uint64_t>(n);
  }
  return true;
}

bool ReadTable(int fd, std::uint64_t size, std::uint64_t offset, std::uint64_t length,
               std::string* out, std::uint64_t max_bytes = kMaxTableBytes) {
  if (length > max_bytes) return false;
  out->resize(length);
  return ReadAt(fd, size, offset, length, out->data());
}

// True if the notes in `data` (aligned to `align`) contain Go's build ID.
bool HasGoNote(std::string_view data, std::uint64_t align) {
  auto pad = [align](std::uint64_t n) { return (n + align - 1) / align * align; };
  std::uint64_t pos = 0;
  while (data.size() - pos >= sizeof(Elf64_Nhdr)) {
    Elf64_Nhdr note;  // Elf32_Nhdr has the same layout
    std::memcpy(&note, data.data() + pos, sizeof note);
    pos += sizeof note;
    std::uint64_t name_end = pos + note.n_namesz;
    if (name_end > data.size()) return false;
    std::string_view name = data.substr(pos, note.n_namesz);
    if (note.n_type == kGoBuildIdNote && name.substr(0, name.find('\0')) == "Go") return true;
    pos += pad(note.n_namesz) + pad(note.n_descsz);
    if (pos > data.size()) return false;
  }
  return false;
}

template <class Ehdr, class Phdr, class Shdr>
std::optional<ElfFacts> Inspect(int fd, std::uint64_t size) {
  Ehdr eh;
  if (!ReadAt(fd, size, 0, sizeof eh, &eh)) return std::nullopt;
  ElfFacts facts;
  facts.position_independent = eh.e_type == ET_DYN;

  if (eh.e_phnum > 0 && eh.e_phentsize != sizeof(Phdr)) return std::nullopt;
  std::string table;
  if (!ReadTable(fd, size, eh.e_phoff, std::uint64_t{eh.e_phnum} * sizeof(Phdr), &table)) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < eh.e_phnum; ++i) {
    Phdr ph;
    std::memcpy(&ph, table.data() + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_INTERP) facts.has_interp = true;
    std::string notes;
    if (ph.p_type == PT_NOTE && ReadTable(fd, size, ph.p_offset, ph.p_filesz, &notes)) {
      facts.go |= HasGoNote(notes, ph.p_align == 8 ? 8 : 4);
    }
  }

  // Section headers are optional (strip can drop them); when present, Go's
  // .go.buildinfo names the toolchain even without the note.
  if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Shdr)) return facts;
  Shdr first;
  if (!ReadAt(fd, size, eh.e_shoff, sizeof first, &first)) return facts;
  // Past 0xff00 sections the real count and string-table index live in
  // section 0 (elf(5)).
  std::uint64_t count = eh.e_shnum != 0 ? eh.e_shnum : first.sh_size;
  std::uint64_t names_index = eh.e_shstrndx != SHN_XINDEX ? eh.e_shstrndx : first.sh_link;
  if (names_index >= count) return facts;
  std::string sections;
  if (!ReadTable(fd, size, eh.e_shoff, count * sizeof(Shdr), &sections)) return facts;
  Shdr names_header;
  std::memcpy(&names_header, sections.data() + names_index * sizeof(Shdr), sizeof names_header);
  std::string names;
  if (!ReadTable(fd, size, names_header.sh_offset, names_header.sh_size, &names)) return facts;
  for (std::uint64_t i = 0; i < count; ++i) {
    Shdr sh;
    std::memcpy(&sh, sections.data() + i * sizeof sh, sizeof sh);
    if (sh.sh_name >= names.size()) continue;
    std::string_view name(names.c_str() + sh.sh_name);
    if (name == ".go.buildinfo" || name == ".note.go.buildid") facts.go = true;
  }
  return facts;
}

// The defined function symbols of the symbol tables (SHT_SYMTAB,
// SHT_DYNSYM) that name a loop library's timer call.
template <class Ehdr, class Shdr, class Sym>
std::vector<std::string> LinkedIn(int fd, std::uint64_t size) {
  // A large test program's symbol table runs to tens of megabytes.
  constexpr std::uint64_t kMaxSymbolBytes = 256u << 20;
  // A name no program would give a function of its own (event_add might).
  static constexpr std::pair<std::string_view, const char*> kTimerCalls[] = {
      {"uv_timer_start", "libuv"},
      {"g_timeout_add_full", "GLib"},
      {"event_base_loop", "libevent"},
      {"sd_event_add_time", "sd-event"}};
  constexpr std::size_t kLibraries = std::size(kTimerCalls);
  bool defined[kLibraries] = {};
  std::vector<std::string> found;
  Ehdr eh;
  if (!ReadAt(fd, size, 0, sizeof eh, &eh)) return found;
  if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Shdr) || eh.e_shnum == 0) return found;
  std::string sections;
  if (!ReadTable(fd, size, eh.e_shoff, std::uint64_t{eh.e_shnum} * sizeof(Shdr), &sections)) {
    return found;
  }
  auto header = [&](std::uint64_t i) {
    Shdr sh;
    std::memcpy(&sh, sections.data() + i * sizeof sh, sizeof sh);
    return sh;
  };
  for (std::uint64_t i = 0; i < eh.e_shnum; ++i) {
    Shdr sh = header(i);
    if ((sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || sh.sh_link >= eh.e_shnum) {
      continue;
    }
    Shdr strings_header = header(sh.sh_link);
    std::string symbols, strings;
    if (!ReadTable(fd, size, sh.sh_offset, sh.sh_size, &symbols, kMaxSymbolBytes) ||
        !ReadTable(fd, size, strings_header.sh_offset, strings_header.sh_size, &strings,
                   kMaxSymbolBytes)) {
      continue;
    }
    for (std::uint64_t at = 0; at + sizeof(Sym) <= symbols.size(); at += sizeof(Sym)) {
      Sym sym;
      std::memcpy(&sym, symbols.data() + at, sizeof sym);
      if (sym.st_shndx == SHN_UNDEF || (sym.st_info & 0xf) != STT_FUNC) continue;
      if (sym.st_name >= strings.size()) continue;
      std::string_view name(strings.c_str() + sym.st_name);
      for (std::size_t l = 0; l < kLibraries; ++l) defined[l] |= name == kTimerCalls[l].first;
    }
  }
  for (std::size_t l = 0; l < kLibraries; ++l) {
    if (defined[l]) found.push_back(kTimerCalls[l].second);
  }
  return found;
}

// The ELF class of `fd` (ELFCLASS32 or ELFCLASS64) if it is an ELF file of
// this machine's byte order, else 0; `size` is set to its size.
int ElfClass(int fd, std::uint64_t& size) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  size = static_cast<std::uint64_t>(st.st_size);
  unsigned char ident[EI_NIDENT];
  if (!ReadAt(fd, size, 0, sizeof ident, ident)) return 0;
  if (std::memcmp(ident, ELFMAG, SELFMAG) != 0) return 0;
  constexpr unsigned char kNativeOrder =
      __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
  if (ident[EI_DATA] != kNativeOrder) return 0;
  return ident[EI_CLASS] == ELFCLASS64 || ident[EI_CLASS] == ELFCLASS32 ? ident[EI_CLASS] : 0;
}

}  // namespace

std::vector<std::string> LoopLibrariesLinkedIn(int fd) {
  std::uint64_t size = 0;
  switch (ElfClass(fd, size)) {
    case ELFCLASS64:
      return LinkedIn<Elf64_Ehdr, Elf64_Shdr, Elf64_Sym>(fd, size);
    case ELFCLASS32:
      return LinkedIn<Elf32_Ehdr, Elf32_Shdr, Elf32_Sym>(fd, size);
    default:
      return {};
  }
}

std::optional<ElfFacts> InspectElf(int fd) {
  std::uint64_t size = 0;
  switch (ElfClass(fd, size)) {
    case ELFCLASS64:
      return Inspect<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr>(fd, size);
    case ELFCLASS32:
      return Inspect<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr>(fd, size);
    default:
      return std::nullopt;
  }
}

}  // namespace timerbisect::run
