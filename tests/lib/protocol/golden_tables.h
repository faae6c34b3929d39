// Reads the conformance tables in tests/golden/bisect-protocol/: one row per
// line, tab-separated, '#' lines are comments.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace timerbisect::testing {

struct GoldenRow {
  int line_number = 0;
  std::vector<std::string> fields;
};

inline std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string::size_type start = 0;
  while (true) {
    auto tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

inline std::vector<GoldenRow> ReadGoldenTable(const std::string& name) {
  std::string path = std::string(TIMERBISECT_GOLDEN_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open golden table " + path);
  std::vector<GoldenRow> rows;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.starts_with("#")) continue;
    rows.push_back({n, SplitTabs(line)});
  }
  return rows;
}

}  // namespace timerbisect::testing
