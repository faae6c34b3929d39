#include "symbolize/symbolizer.h"

#include <elfutils/libdwfl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <unordered_map>
#include <utility>

#include "symbolize/demangle.h"
#include "symbolize/dwarf_frames.h"

namespace timerbisect::symbolize {
namespace {

// One ELF file in its own offline Dwfl session. A session per file (rather
// than one session for all) lets every module sit at base 0, so module
// addresses are the file's own virtual addresses: exactly the shim's
// offsets, with no address map to keep.
struct Module {
  Dwfl* dwfl = nullptr;
  Dwfl_Module* mod = nullptr;
  std::string error;
  // Lookups already made, by looked-up address: report stacks repeat frames
  // (every site shares main, the test runner, the event loop).
  std::map<Dwarf_Addr, std::vector<SourceFrame>> frames;
  DwarfCache dwarf;

  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }
};

// The function symbol covering `address` from .symtab, else .dynsym, else
// the MiniDebugInfo symbol table in .gnu_debugdata (libdwfl reads all three).
std::string SymbolName(Dwfl_Module* mod, Dwarf_Addr address) {
  return Demangle(dwfl_module_addrname(mod, address));
}

// The containing function's name. DWARF's is preferred (exact where
// symbols are aliased or folded), but a DWARF name without linkage name has
// no parameter types: then the symbol table's completes it, if it is that
// same name plus the parameters ("ns::(anonymous namespace)::F" and
// "ns::(anonymous namespace)::F(int) [clone .cold]" give
// "ns::(anonymous namespace)::F(int)"), so names read alike in a report.
void NameOutermost(Dwfl_Module* mod, Dwarf_Addr address, SourceFrame* frame) {
  std::string symbol = SymbolName(mod, address);
  if (frame->function.empty()) {
    frame->function = symbol;
    return;
  }
  if (!symbol.starts_with(frame->function + "(")) return;
  // GCC's function splitting and cloning ("[clone .cold]", "[clone
  // .constprop.0]") are the same source function.
  if (auto clone = symbol.find(" [clone "); clone != std::string::npos) symbol.resize(clone);
  frame->function = symbol;
}

}  // namespace

struct Symbolizer::Impl {
  std::string debuginfo_path;
  char* debuginfo_path_ptr = nullptr;  // what Dwfl_Callbacks points at
  // dwfl_begin keeps a pointer to the callbacks, so they live here, beside
  // the sessions, at a stable address.
  Dwfl_Callbacks callbacks{};
  std::unordered_map<std::string, std::unique_ptr<Module>> modules;

  explicit Impl(SymbolizerOptions options) : debuginfo_path(std::move(options.debuginfo_path)) {
    // Offline reporting: separate debug info by build-id and .gnu_debuglink,
    // sections at their file addresses.
    callbacks.find_elf = dwfl_build_id_find_elf;
    callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
    callbacks.section_address = dwfl_offline_section_address;
    if (!debuginfo_path.empty()) {
      debuginfo_path_ptr = debuginfo_path.data();
      callbacks.debuginfo_path = &debuginfo_path_ptr;
    }
  }

  Module& Get(const std::string& path) {
    auto [it, inserted] = modules.try_emplace(path);
    if (inserted) it->second = Open(path);
    return *it->second;
  }

  std::unique_ptr<Module> Open(const std::string& path) {
    auto m = std::make_unique<Module>();
    // libdwfl reports a directory as "invalid file descriptor"; say it here.
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      m->error = "cannot open " + path + ": " + std::strerror(errno);
      return m;
    }
    if (!S_ISREG(st.st_mode)) {
      m->error = "cannot open " + path + ": not a regular file";
      return m;
    }
    m->dwfl = dwfl_begin(&callbacks);
    if (m->dwfl == nullptr) {
      m->error = "cannot open " + path + ": " + dwfl_errmsg(-1);
      return m;
    }
    dwfl_report_begin(m->dwfl);
    // base 0 with add_p_vaddr: the module's bias is 0 whatever the first
    // PT_LOAD's p_vaddr, so module addresses equal the file's addresses for
    // ET_DYN (PIE, shared libraries) and ET_EXEC alike.
    m->mod = dwfl_report_elf(m->dwfl, path.c_str(), path.c_str(), -1, 0, true);
    if (m->mod == nullptr) m->error = "cannot open " + path + ": " + dwfl_errmsg(-1);
    dwfl_report_end(m->dwfl, nullptr, nullptr);
    return m;
  }
};

Symbolizer::Symbolizer() : Symbolizer(SymbolizerOptions{}) {}
Symbolizer::Symbolizer(SymbolizerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
Symbolizer::~Symbolizer() = default;
Symbolizer::Symbolizer(Symbolizer&&) noexcept = default;
Symbolizer& Symbolizer::operator=(Symbolizer&&) noexcept = default;

std::vector<SourceFrame> Symbolizer::Symbolize(const std::string& module_path, std::uint64_t offset,
                                               bool is_return_address) {
  // A return address is the instruction after the call, which may already
  // belong to the next line, or to the next function when the call was the
  // last instruction (a noreturn call). One byte back is inside the call.
  Dwarf_Addr address = is_return_address && offset > 0 ? offset - 1 : offset;
  Module& m = impl_->Get(module_path);

  std::vector<SourceFrame> frames;
  if (m.mod == nullptr) {
    frames.emplace_back();
  } else if (auto cached = m.frames.find(address); cached != m.frames.end()) {
    frames = cached->second;
  } else {
    frames = DwarfFrames(m.mod, address, &m.dwarf);
    if (frames.empty()) frames.emplace_back();
    NameOutermost(m.mod, address, &frames.back());
    m.frames.emplace(address, frames);
  }
  for (SourceFrame& f : frames) {
    f.module = module_path;
    f.offset = offset;
  }
  return frames;
}

base::Expected<void> Symbolizer::CheckModule(const std::string& module_path) {
  const std::string& error = impl_->Get(module_path).error;
  if (error.empty()) return {};
  return base::Expected<void>::Fail(error);
}

std::size_t Symbolizer::cached_modules() const {
  return impl_->modules.size();
}

}  // namespace timerbisect::symbolize
