// The bisect protocol's pattern: which changes (here: timer sites) a run
// enables and which it reports. Compatible with the reference implementation
// (golang.org/x/tools/internal/bisect), checked row by row against
// tests/golden/bisect-protocol/match.tsv.
//
// Syntax, as the reference defines it:
//   PATTERN = ["q"] "v"* "!"* BODY   leading q: report nothing (quiet; a v
//                                 after it undoes it; from Go's standard
//                                 library internal/bisect, for patterns
//                                 set by hand, e.g. "qn": all old, silently);
//                                 leading v: reports are shown to the user;
//                                 each ! inverts what "enable" means
//   BODY    = "n"                 alias for !y
//           | TERM ("+" TERM)* ("-" TERM)*   or with a leading "+" or "-"
//   TERM    = binary digits | "x" hex digits | "y" (the empty suffix: all)
// A term denotes the IDs whose low bits equal it; "+" adds, "-" subtracts,
// left to right; a leading "-" subtracts from the set of all IDs.
// The empty pattern means "not under bisect": enable all, report none.
//
// Parsing may allocate; Verbose/ShouldEnable/ShouldReport never allocate or
// throw, so the shim may call them on its per-site path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace timerbisect::protocol {

// One term: IDs with id & mask == bits are in (result) or out (!result).
struct Condition {
  std::uint64_t mask = 0;
  std::uint64_t bits = 0;
  bool result = false;
};

struct ParseError {
  std::size_t position = 0;  // byte offset in the pattern where parsing failed
  std::string reason;

  // "bad pattern "+0-1+1": '+' after '-' at position 4"
  std::string Message(std::string_view pattern) const;
};

class Matcher {
 public:
  // An inactive matcher: not under bisect; enables every ID, reports none.
  Matcher() = default;

  // Parses `pattern`. On failure returns nullopt and, if `error` is set,
  // where and why. The empty pattern yields an inactive matcher.
  // An optional and an out-parameter, not the project's base::Expected:
  // lib/protocol is a leaf that the shim links into every process, so it
  // includes only standard headers and its own (tests/lib/protocol/
  // leaf_test.sh), as Go's internal/bisect imports nothing; the shape
  // mirrors Go's bisect.New(pattern) (*Matcher, error).
  static std::optional<Matcher> Parse(std::string_view pattern, ParseError* error = nullptr);

  // False for the empty pattern: callers can skip hashing entirely.
  bool active() const noexcept { return active_; }
  bool Verbose() const noexcept { return verbose_; }
  bool ShouldEnable(std::uint64_t id) const noexcept;
  bool ShouldReport(std::uint64_t id) const noexcept;

  const std::vector<Condition>& conditions() const noexcept { return conditions_; }

 private:
  bool active_ = false;
  bool verbose_ = false;
  bool quiet_ = false;                 // leading "q" with no "v": ShouldReport is false
  bool enable_ = true;                 // false after an odd number of '!' (or "n")
  std::vector<Condition> conditions_;  // later ones win
};

}  // namespace timerbisect::protocol
