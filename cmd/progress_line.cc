#include "progress_line.h"

#include <algorithm>
#include <cstdio>

#include "protocol/pattern.h"

namespace timerbisect::cmd {

std::string DescribePattern(const std::string& pattern, bool shim) {
  protocol::PatternPrefix prefix = protocol::SplitPrefix(pattern);
  const std::string_view p = prefix.body;
  const bool inverted = prefix.invert;
  const char* unit = shim ? "sites" : "changes";
  const char* on = shim ? "new" : "enabled";
  const char* off = shim ? "old" : "disabled";
  if (p == "y" || p.empty()) return std::string("all ") + unit + " " + (inverted ? off : on);
  if (p == "n") return std::string("all ") + unit + " " + (inverted ? on : off);
  // An explicit list "+x1+x2..." or "x1+x2": count its IDs.
  int ids = 0;
  bool only_ids = true;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 'x' && (i == 0 || p[i - 1] == '+')) ++ids;
    if (p[i] == '-') only_ids = false;
  }
  const char* picked = inverted ? off : on;
  const char* rest = inverted ? on : off;
  if (only_ids && ids > 0) {
    return std::to_string(ids) +
           (ids == 1 ? (shim ? " site " : " change ") : std::string(" ") + unit + " ") + picked +
           ", the rest " + rest;
  }
  return std::string("a subset of ") + unit + " " + picked + ", the rest " + rest;
}

std::string FormatClock(std::chrono::seconds elapsed) {
  long long s = std::max<long long>(0, elapsed.count());
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  }
  return buf;
}

namespace {

// Where a probe's result came from when it was not run now.
std::string Origin(const search::ProgressEvent& e) {
  if (e.reused) return " (an earlier run of it, not run again)";
  if (e.replayed) return " (from the journal, not run again)";
  return "";
}

}  // namespace

std::string ProgressLine::Format(const search::ProgressEvent& e) const {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  auto elapsed = std::chrono::steady_clock::now() - started_;
  if (e.check) {
    std::string line = "timerbisect: check run " + std::to_string(e.probe) + ": " +
                       DescribePattern(e.pattern, shim_) + ": " + (e.failed ? "FAIL" : "ok");
    if (verbose_) line += " (pattern " + e.pattern + ")";
    line += Origin(e);
    return line + "; " + FormatClock(duration_cast<seconds>(elapsed)) + " elapsed\n";
  }
  // The suspects are those the probe chose among: its result narrows them
  // for the next line.
  std::string line = "timerbisect: probe " + std::to_string(e.probe);
  if (e.sites_in_play > 0) line += " (" + std::to_string(e.sites_in_play) + " suspected)";
  line += ": " + DescribePattern(e.pattern, shim_) + ": " + (e.failed ? "FAIL" : "ok");
  if (verbose_) line += " (pattern " + e.pattern + ")";
  line += Origin(e);
  line += ", ~" + std::to_string(e.estimated_probes_left) + " more for this set; " +
          FormatClock(duration_cast<seconds>(elapsed)) + " elapsed";
  if (e.probe > 0 && e.estimated_probes_left > 0) {
    auto left = elapsed / e.probe * e.estimated_probes_left;
    line += ", ~" + FormatClock(duration_cast<seconds>(left)) + " left";
  }
  return line + "\n";
}

}  // namespace timerbisect::cmd
