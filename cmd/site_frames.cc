#include "site_frames.h"

namespace timerbisect::cmd {

std::vector<symbolize::SourceFrame> SymbolizeSiteFrames(const report::SiteReport& site,
                                                        symbolize::Symbolizer& symbolizer) {
  std::vector<symbolize::SourceFrame> out;
  for (const auto& frame : site.frames) {
    auto frames = symbolizer.Symbolize(frame.module, frame.offset, true);
    if (frames.size() == 1 && frames[0].function.empty()) frames[0].function = frame.symbol;
    for (auto& f : frames) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace timerbisect::cmd
