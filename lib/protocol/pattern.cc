#include "protocol/pattern.h"

namespace timerbisect::protocol {
namespace {

std::uint64_t LowBits(std::uint64_t value, int width) {
  return width >= 64 ? value : value & ((std::uint64_t{1} << width) - 1);
}

}  // namespace

std::optional<Suffix> Suffix::FromBinary(std::string_view digits) {
  if (digits.size() > 64) return std::nullopt;
  Suffix s{0, static_cast<int>(digits.size())};
  for (char c : digits) {
    if (c != '0' && c != '1') return std::nullopt;
    s.bits = (s.bits << 1) | static_cast<std::uint64_t>(c - '0');
  }
  return s;
}

bool Suffix::Matches(std::uint64_t id) const {
  return LowBits(id, width) == bits;
}

Suffix Suffix::Extend(int bit) const {
  if (width >= 64) return *this;
  return {bits | (static_cast<std::uint64_t>(bit & 1) << width), width + 1};
}

std::string Suffix::Binary() const {
  std::string out;
  for (int i = width - 1; i >= 0; --i) out += ((bits >> i) & 1) ? '1' : '0';
  return out;
}

std::string Suffix::Term() const {
  if (width == 0) return "y";
  if (width % 4 != 0) return Binary();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "x";
  for (int shift = width - 4; shift >= 0; shift -= 4) out += kHex[(bits >> shift) & 0xf];
  return out;
}

std::string BuildPattern(const PatternSpec& spec) {
  std::string out;
  if (spec.verbose) out += 'v';
  if (spec.invert) out += '!';
  if (spec.add.empty()) {
    out += "-y";
    return out;
  }
  for (std::size_t i = 0; i < spec.add.size(); ++i) {
    if (i > 0) out += '+';
    out += spec.add[i].Term();
  }
  for (const Suffix& s : spec.skip) {
    out += '-';
    out += s.Term();
  }
  return out;
}

std::string PatternForIds(std::span<const std::uint64_t> ids, bool invert, bool verbose) {
  PatternSpec spec{verbose, invert, {}, {}};
  spec.add.reserve(ids.size());
  for (std::uint64_t id : ids) spec.add.push_back(Suffix::Id(id));
  return BuildPattern(spec);
}

PatternPrefix SplitPrefix(std::string_view pattern) {
  PatternPrefix prefix;
  if (!pattern.empty() && pattern.front() == 'q') {
    prefix.quiet = true;
    pattern.remove_prefix(1);
  }
  while (!pattern.empty() && pattern.front() == 'v') {
    prefix.verbose = true;
    prefix.quiet = false;
    pattern.remove_prefix(1);
  }
  while (!pattern.empty() && pattern.front() == '!') {
    prefix.invert = !prefix.invert;
    pattern.remove_prefix(1);
  }
  prefix.body = pattern;
  return prefix;
}

}  // namespace timerbisect::protocol
