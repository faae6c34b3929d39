#include "protocol/marker.h"

namespace timerbisect::protocol {
namespace {

constexpr std::string_view kPrefix = "[bisect-match ";
constexpr std::string_view kHexDigits = "0123456789abcdef";

// The reference ignores characters that are not hex digits but still shifts
// for them; we keep that for compatibility (golden row "0xg1" -> 0x1).
std::uint64_t HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::uint64_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<std::uint64_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<std::uint64_t>(c - 'A' + 10);
  return 0;
}

bool ParseMarkerId(std::string_view text, std::uint64_t& id) {
  id = 0;
  if (text.size() >= 3 && text.substr(0, 2) == "0x") {
    if (text.size() > 2 + 16) return false;
    for (char c : text.substr(2)) id = (id << 4) | HexDigitValue(c);
    return true;
  }
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (c != '0' && c != '1') return false;
    id = (id << 1) | static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

void FormatMarker(std::uint64_t id, char (&out)[kMarkerSize]) noexcept {
  std::size_t n = 0;
  for (char c : std::string_view("[bisect-match 0x")) out[n++] = c;
  for (int shift = 60; shift >= 0; shift -= 4) out[n++] = kHexDigits[(id >> shift) & 0xf];
  out[n] = ']';
}

std::string Marker(std::uint64_t id) {
  char buf[kMarkerSize];
  FormatMarker(id, buf);
  return std::string(buf, kMarkerSize);
}

std::string CutResult::Short() const {
  std::string s;
  s.reserve(before.size() + after.size());
  s.append(before);
  s.append(after);
  return s;
}

CutResult CutMarker(std::string_view line) noexcept {
  CutResult not_found{false, 0, line, {}};
  // The reference requires at least one character after the prefix.
  if (line.size() <= kPrefix.size()) return not_found;
  std::size_t start = line.find(kPrefix);
  if (start == std::string_view::npos || start >= line.size() - kPrefix.size()) return not_found;
  std::size_t close = line.find(']', start + kPrefix.size());
  if (close == std::string_view::npos) return not_found;

  CutResult result;
  if (!ParseMarkerId(line.substr(start + kPrefix.size(), close - start - kPrefix.size()),
                     result.id)) {
    return not_found;
  }
  std::size_t end = close + 1;
  if (start > 0 && line[start - 1] == ' ') {
    --start;
  } else if (end < line.size() && line[end] == ' ') {
    ++end;
  }
  result.found = true;
  result.before = line.substr(0, start);
  result.after = line.substr(end);
  return result;
}

std::string IdHex(std::uint64_t id) {
  char marker[kMarkerSize];
  FormatMarker(id, marker);
  return std::string(marker + 14, 18);  // "0x" and 16 digits, after "[bisect-match "
}

}  // namespace timerbisect::protocol
