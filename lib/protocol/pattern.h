// Building patterns: the driver's side of the protocol. Every pattern built
// here parses back (Matcher::Parse) to exactly the set it describes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace timerbisect::protocol {

// The set of IDs whose low `width` bits equal `bits`. Width 0 is every ID
// ("y"); width 64 is one ID.
struct Suffix {
  std::uint64_t bits = 0;
  int width = 0;

  static Suffix All() { return {}; }
  static Suffix Id(std::uint64_t id) { return {id, 64}; }
  // "0101" (binary digits, most significant first); nullopt if not binary or
  // longer than 64 digits.
  static std::optional<Suffix> FromBinary(std::string_view digits);

  bool Matches(std::uint64_t id) const;
  // The suffix one bit longer: `bit` prepended above the current bits.
  Suffix Extend(int bit) const;
  // Pattern term: "y", "x" + hex digits when width is a multiple of 4, or
  // binary digits.
  std::string Term() const;
  // Always binary digits ("" for width 0), as Go's bisect prints suffixes.
  std::string Binary() const;

  friend bool operator==(const Suffix&, const Suffix&) = default;
};

struct PatternSpec {
  bool verbose = false;      // leading v: reports are shown to the user
  bool invert = false;       // leading !: the set names the changes to disable
  std::vector<Suffix> add;   // the set is the union of these ...
  std::vector<Suffix> skip;  // ... minus the union of these
};

// The pattern for a spec. An empty `add` yields the empty set ("-y").
std::string BuildPattern(const PatternSpec& spec);

// The pattern whose set is exactly `ids`.
std::string PatternForIds(std::span<const std::uint64_t> ids, bool invert = false,
                          bool verbose = false);

// A pattern's leading prefixes as the matcher reads them: an optional 'q'
// (quiet), any number of 'v' (verbose; undoes q), then any number of '!'
// (each one inverts), then the body.
struct PatternPrefix {
  bool quiet = false;
  bool verbose = false;
  bool invert = false;
  std::string_view body;
};
PatternPrefix SplitPrefix(std::string_view pattern);

}  // namespace timerbisect::protocol
