// Offline symbolization of (module path, offset) frames, as the shim records
// them, into function, file:line and inlined frames, with libdw (elfutils).
//
// Address convention (the shim's): `offset` is the runtime address minus the
// module's load bias (dl_iterate_phdr's dlpi_addr), i.e. an ELF virtual
// address as in the file's program headers. For PIE executables and shared
// libraries that is the offset from the load address; for non-PIE
// executables the bias is 0, so the offset is the absolute address.
//
// Debug info is looked up like eu-addr2line and gdb do: in the file itself,
// then by build-id (<dir>/.build-id/xx/yyyy.debug) and by .gnu_debuglink
// (the binary's directory, its .debug/ subdirectory, /usr/lib/debug/<dir>).
// With no DWARF, the symbol tables (.symtab, .dynsym, .gnu_debugdata) give
// the function name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"

namespace timerbisect::symbolize {

struct SourceFrame {
  std::string function;  // demangled when C++, "" if unknown
  std::string file;      // source file path as recorded in DWARF, "" if unknown
  int line = 0;
  int column = 0;
  bool inlined = false;  // true for a frame that was inlined into the next one
  std::string note{};    // said after the frame, in parentheses; "" for none
  // Where the frame came from, as passed to Symbolize: FormatFrame falls back
  // to them when nothing else is known.
  std::string module;
  std::uint64_t offset = 0;
};

struct SymbolizerOptions {
  // Where separate debug info is searched, in elfutils' debuginfo_path syntax
  // (see dwfl_standard_find_debuginfo in libdwfl.h): colon-separated
  // directories, "" meaning the binary's own directory. Empty: libdw's
  // default ":.debug:/usr/lib/debug".
  std::string debuginfo_path;
};

class Symbolizer {
 public:
  Symbolizer();
  explicit Symbolizer(SymbolizerOptions options);
  ~Symbolizer();
  Symbolizer(Symbolizer&&) noexcept;
  Symbolizer& operator=(Symbolizer&&) noexcept;

  // Frames for one address, innermost first: the inlined frames, then the
  // function that contains them. Never empty: with no debug info, one frame
  // with the symbol name from .symtab/.dynsym/.gnu_debugdata and "" file;
  // with nothing at all (missing module, no symbol), function "".
  //
  // A return address points after the call instruction, possibly into the
  // next line or function, so for is_return_address the lookup uses
  // offset-1, which is inside the call; the innermost frame of a stack (the
  // interrupted instruction itself) is looked up as is.
  //
  // Opens each module path once and keeps it, with its debug info, for the
  // Symbolizer's lifetime. Not thread-safe: use one Symbolizer per thread.
  std::vector<SourceFrame> Symbolize(const std::string& module_path, std::uint64_t offset,
                                     bool is_return_address = true);

  // Fails if the module cannot be opened at all (missing file, not an ELF
  // file), with a short error shaped "cannot open PATH: REASON", for the
  // caller to prefix.
  base::Expected<void> CheckModule(const std::string& module_path);

  // How many module paths have been opened (successfully or not) and cached.
  std::size_t cached_modules() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The one-line form used in reports: "function file:line", or "function"
// with no line info, or "module+0xoffset" (followed by " file:line" when
// only the line is known) when the function is unknown.
// How much of a frame a listing prints to tell its sites apart: the
// line; the column too ("file:line:column", two timer calls on one line);
// or the column and the offset in the module ("... [+0x1a2b]", two calls
// of one column, as a loop the compiler unrolled makes).
enum class FrameDetail { kLine, kColumn, kAddress };
std::string FormatFrame(const SourceFrame& f, FrameDetail detail);
// `with_column`: FrameDetail::kColumn.
std::string FormatFrame(const SourceFrame& f, bool with_column = false);

// For each stack, the least detail at which it prints unlike every other
// of `stacks` (kAddress when even that cannot be had).
std::vector<FrameDetail> StacksDetail(const std::vector<const std::vector<SourceFrame>*>& stacks);

}  // namespace timerbisect::symbolize
