// Lists in the text of a message: "a", "a and b", "a, b and c".
#pragma once

#include <string>
#include <vector>

namespace timerbisect::base {

inline std::string ListInProse(const std::vector<std::string>& items) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  }
  return text;
}

}  // namespace timerbisect::base
