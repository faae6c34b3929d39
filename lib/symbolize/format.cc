#include <cinttypes>
#include <cstdio>
#include <map>

#include "symbolize/symbolizer.h"

namespace timerbisect::symbolize {

std::string FormatFrame(const SourceFrame& f, bool with_column) {
  return FormatFrame(f, with_column ? FrameDetail::kColumn : FrameDetail::kLine);
}

std::string FormatFrame(const SourceFrame& f, FrameDetail detail) {
  const bool with_column = detail != FrameDetail::kLine;
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
    if (f.line > 0 && with_column && f.column > 0) out += ':' + std::to_string(f.column);
  }
  if (detail == FrameDetail::kAddress && !f.function.empty()) {
    char offset[40];
    std::snprintf(offset, sizeof offset, " [+0x%" PRIx64 "]", f.offset);
    out += offset;
  }
  if (!f.note.empty()) out += " (" + f.note + ")";
  return out;
}

std::vector<FrameDetail> StacksDetail(const std::vector<const std::vector<SourceFrame>*>& stacks) {
  std::vector<FrameDetail> detail(stacks.size(), FrameDetail::kLine);
  // Each pass raises the detail of the stacks that still print alike.
  for (FrameDetail next : {FrameDetail::kColumn, FrameDetail::kAddress}) {
    std::map<std::string, std::vector<std::size_t>> by_text;
    for (std::size_t i = 0; i < stacks.size(); ++i) {
      std::string text;
      for (const SourceFrame& f : *stacks[i]) text += FormatFrame(f, detail[i]) + '\n';
      by_text[text].push_back(i);
    }
    for (const auto& [text, same] : by_text) {
      if (same.size() < 2 || text.empty()) continue;
      for (std::size_t i : same) detail[i] = next;
    }
  }
  return detail;
}

}  // namespace timerbisect::symbolize
