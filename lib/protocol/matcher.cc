#include "protocol/matcher.h"

#include "protocol/pattern.h"

namespace timerbisect::protocol {
namespace {

// Value of a digit in a term of the given width (1: binary, 4: hex), or -1.
int DigitValue(char c, int width) {
  int value = -1;
  if (c >= '0' && c <= '9') value = c - '0';
  if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
  if (c >= 'A' && c <= 'F') value = c - 'A' + 10;
  return value < (1 << width) ? value : -1;
}

std::uint64_t LowBitsMask(int n) {
  return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
}

class Parser {
 public:
  explicit Parser(std::string_view pattern) : pattern_(pattern) {}

  bool Run(bool& quiet, bool& verbose, bool& enable, std::vector<Condition>& conditions) {
    // The prefixes as SplitPrefix reads them, the driver's reading too:
    // several v's and !'s are allowed, so "bisect cmd vPATTERN" and a
    // user's own "!" both compose with the driver's prefixes.
    const PatternPrefix prefix = SplitPrefix(pattern_);
    const std::size_t pos = pattern_.size() - prefix.body.size();
    if (prefix.body.empty()) return Fail(pos, "pattern ends after its prefix");
    quiet = prefix.quiet;
    verbose = prefix.verbose;
    if (prefix.invert) enable = !enable;
    std::string_view body = pattern_.substr(pos);
    if (body == "n") {  // alias for !y
      enable = !enable;
      body = "y";
    }
    return ParseBody(body, pos, conditions);
  }

  ParseError error;

 private:
  bool Fail(std::size_t position, std::string reason) {
    error.position = position;
    error.reason = std::move(reason);
    return false;
  }

  // `offset` is where body starts in the pattern, for error positions.
  bool ParseBody(std::string_view body, std::size_t offset, std::vector<Condition>& conditions) {
    bool result = true;  // the sign of the term being read: + or (after a -) -
    std::uint64_t bits = 0;
    std::size_t start = 0;  // first digit of the current term
    int width = 1;          // bits per digit: 1 (binary) or 4 (after an x)
    for (std::size_t i = 0; i <= body.size(); ++i) {
      // An imaginary '-' at the end flushes the last term.
      char c = i < body.size() ? body[i] : '-';
      if (i == start && width == 1 && c == 'x') {
        start = i + 1;
        width = 4;
        continue;
      }
      if (c == 'y') {
        if (i + 1 < body.size() && (body[i + 1] == '0' || body[i + 1] == '1')) {
          return Fail(offset + i + 1, "digit after 'y'");
        }
        bits = 0;
        continue;
      }
      if (c == '+' || c == '-') {
        if (c == '+' && !result) {
          return Fail(offset + i, "'+' after '-' (all + terms must come first)");
        }
        if (i > 0) {
          std::size_t n = (i - start) * static_cast<std::size_t>(width);
          if (n > 64) return Fail(offset + start, "term longer than 64 bits");
          if (n == 0) return Fail(offset + i, "empty term");
          if (body[start] == 'y') n = 0;
          conditions.push_back({LowBitsMask(static_cast<int>(n)), bits, result});
        } else if (c == '-') {
          conditions.push_back({0, 0, true});  // a leading - subtracts from all
        }
        bits = 0;
        result = c == '+';
        start = i + 1;
        width = 1;
        continue;
      }
      int digit = DigitValue(c, width);
      if (digit < 0) {
        std::string reason = "unexpected '";
        reason += c;
        reason += width == 1 ? "' in a binary term" : "' in a hex term";
        return Fail(offset + i, std::move(reason));
      }
      bits = (bits << width) | static_cast<std::uint64_t>(digit);
    }
    return true;
  }

  std::string_view pattern_;
};

}  // namespace

std::string ParseError::Message(std::string_view pattern) const {
  std::string msg = "bad pattern \"";
  msg.append(pattern);
  msg += "\": ";
  msg += reason;
  msg += " at position ";
  msg += std::to_string(position);
  return msg;
}

std::optional<Matcher> Matcher::Parse(std::string_view pattern, ParseError* error) {
  Matcher m;
  if (pattern.empty()) return m;
  m.active_ = true;
  Parser parser(pattern);
  if (!parser.Run(m.quiet_, m.verbose_, m.enable_, m.conditions_)) {
    if (error) *error = std::move(parser.error);
    return std::nullopt;
  }
  return m;
}

bool Matcher::ShouldEnable(std::uint64_t id) const noexcept {
  if (!active_) return true;
  for (auto it = conditions_.rbegin(); it != conditions_.rend(); ++it) {
    if ((id & it->mask) == it->bits) return it->result == enable_;
  }
  return !enable_;
}

bool Matcher::ShouldReport(std::uint64_t id) const noexcept {
  if (!active_ || quiet_) return false;
  for (auto it = conditions_.rbegin(); it != conditions_.rend(); ++it) {
    if ((id & it->mask) == it->bits) return it->result;
  }
  return false;
}

}  // namespace timerbisect::protocol
