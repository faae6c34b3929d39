#include <cinttypes>
#include <cstdio>

#include "symbolize/symbolizer.h"

namespace timerbisect::symbolize {

std::string FormatFrame(const SourceFrame& f) {
  std::string out;
  if (!f.function.empty()) {
    out = f.function;
  } else {
    // The same "module+0xoffset" the shim writes in verbose match reports, so
    // an unknown frame can still be matched against them.
    char offset[32];
    std::snprintf(offset, sizeof offset, "+0x%" PRIx64, f.offset);
    out = f.module + offset;
  }
  if (!f.file.empty()) {
    out += ' ';
    out += f.file;
    if (f.line > 0) out += ':' + std::to_string(f.line);
  }
  if (!f.note.empty()) out += " (" + f.note + ")";
  return out;
}

}  // namespace timerbisect::symbolize
