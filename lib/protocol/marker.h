// Match markers: "[bisect-match 0x%016x]" lines a target prints for every
// change the pattern reports, and the parser that cuts one out of a line.
//
// Shim-safe: FormatMarker and CutMarker neither allocate nor throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace timerbisect::protocol {

// "[bisect-match 0x" + 16 hex digits + "]".
inline constexpr std::size_t kMarkerSize = 33;

// Writes the marker of `id` (always the 16-digit hex form) into `out`.
void FormatMarker(std::uint64_t id, char (&out)[kMarkerSize]) noexcept;
std::string Marker(std::uint64_t id);
// "0x" + the 16 hex digits of `id`, as in its marker: how every report,
// journal and message writes a site ID.
std::string IdHex(std::uint64_t id);

// The result of cutting the first marker out of a line. When found, the
// shortened line is `before + after`: the marker and at most one space next to
// it are gone, so "foo [marker] bar" becomes "foo bar".
struct CutResult {
  bool found = false;
  std::uint64_t id = 0;
  std::string_view before;  // the whole line when !found
  std::string_view after;

  std::string Short() const;
};

// Finds the first "[bisect-match " in `line` and parses the ID up to the next
// ']': "0x" and 1-16 hex digits, or 1-64 binary digits. Compatible with the
// reference, quirks included: in the hex form a character that is not a hex
// digit still shifts the ID by four bits and adds nothing ("0xg1" is 0x1), and
// only the first "[bisect-match " is tried.
CutResult CutMarker(std::string_view line) noexcept;

}  // namespace timerbisect::protocol
