// Walking a probe's output a line at a time.
#pragma once

#include <string_view>

namespace timerbisect::run {

// Calls fn(line) for each line of `text`, its '\n' included (the last line
// may have none).
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1);
    text.remove_prefix(line.size());
    fn(line);
  }
}

}  // namespace timerbisect::run
