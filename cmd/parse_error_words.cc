#include "parse_error_words.h"

#include <re2/re2.h>

#include <string>

namespace timerbisect::cmd {
namespace {

// "0.500000" -> "0.5", "1000" stays.
std::string ShortNumber(std::string number) {
  if (number.find('.') == std::string::npos) return number;
  while (number.back() == '0') number.pop_back();
  if (number.back() == '.') number.pop_back();
  return number;
}

}  // namespace

std::string PlainParseError(const std::string& what) {
  static const RE2 kRange(R"((\S+): Value (.*) not in range (\S+) to (\S+))");
  static const RE2 kMissing(R"((\S+): \d+ required .* missing)");
  static const RE2 kChoice(R"((\S+): (.*) not in \{(.*)\})");
  static const RE2 kTwice(R"((\S+): At Most 1 required but received (\d+))");
  std::string flag, value, low, high, choices;
  if (RE2::FullMatch(what, kRange, &flag, &value, &low, &high)) {
    if (value == "--") return flag + ": needs a value";
    bool whole = low.find('.') == std::string::npos && high.find('.') == std::string::npos;
    return flag + ": expected " + (whole ? "a whole number" : "a number") + " from " +
           ShortNumber(low) + " to " + ShortNumber(high) + ", not \"" + value + "\"";
  }
  if (RE2::FullMatch(what, kMissing, &flag)) return flag + ": needs a value";
  if (RE2::FullMatch(what, kTwice, &flag, &value)) {
    return flag + ": given " + value + " times; it takes one value";
  }
  if (RE2::FullMatch(what, kChoice, &flag, &value, &choices)) {
    std::string listed;
    for (char c : choices) listed += c == ',' ? std::string(", ") : std::string(1, c);
    return flag + ": expected one of " + listed + ", not \"" + value + "\"";
  }
  return what;
}

}  // namespace timerbisect::cmd
