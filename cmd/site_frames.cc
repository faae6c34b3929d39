#include "site_frames.h"

namespace timerbisect::cmd {

namespace {

// A sanitizer's interceptor (in a sanitized executable) sits between the
// caller and the shim: it is part of the stack, and of the site's ID, but it
// is not where the user's code calls the timer.
bool IsSanitizerInterceptor(const std::string& function) {
  return function.starts_with("__interceptor_") || function.starts_with("___interceptor_");
}

}  // namespace

std::vector<symbolize::SourceFrame> SymbolizeSiteFrames(const report::SiteReport& site,
                                                        symbolize::Symbolizer& symbolizer) {
  std::vector<symbolize::SourceFrame> out;
  for (const auto& frame : site.frames) {
    auto frames = symbolizer.Symbolize(frame.module, frame.offset, true);
    if (frames.size() == 1 && frames[0].function.empty()) frames[0].function = frame.symbol;
    if (site.callback_first && &frame == &site.frames.front() && !frames.empty()) {
      frames.back().note =
          "the timer's callback; armed by a callback's tail call, whose frame is gone";
    }
    for (auto& f : frames) {
      if (out.empty() && IsSanitizerInterceptor(f.function)) continue;
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace timerbisect::cmd
