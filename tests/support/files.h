// Reading a file whole, for every test that checks what a program wrote.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace timerbisect::testing {

// The file's bytes; "" when it cannot be read.
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// How many lines the file holds (its newlines; a driver's --journal: the
// identity line, then one a probe).
inline int LineCount(const std::filesystem::path& path) {
  std::string text = ReadFile(path);
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace timerbisect::testing
