// A reported site's frames (module+offset, as the shim writes them)
// symbolized to function, file:line and inlined frames.
#pragma once

#include <vector>

#include "report/site_reports.h"
#include "symbolize/symbolizer.h"

namespace timerbisect::cmd {

// Innermost first, inlined frames expanded. A frame with nothing known
// keeps the shim's own symbol name for it.
std::vector<symbolize::SourceFrame> SymbolizeSiteFrames(const report::SiteReport& site,
                                                        symbolize::Symbolizer& symbolizer);

}  // namespace timerbisect::cmd
