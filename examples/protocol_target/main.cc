// protocol_target: a program that speaks the bisect protocol itself, with
// no shim: the shape of a compiler or library that puts its own changes
// under bisect, as Go's compiler does with GOCOMPILEDEBUG and the loopvar
// change.
//
// The program has 90 numbered changes (new behaviours), all on by default.
// CHANGES_BISECT selects them: its value is PATTERN or VALUE#PATTERN (what
// `timerbisect --env CHANGES_BISECT=#PATTERN` sets), the pattern being what
// follows the last '#'. Each change's ID is the protocol's FNV-1a hash of
// its number, as Go's bisect.Hash(n) for an int n; a change is on when the
// pattern enables its ID, and for each change the pattern reports, the
// program prints "[bisect-match 0x...] change N" on stderr. It fails
// (exit 1) when change 17 is on, or changes 42 and 77 are both on: two
// minimal sets, {17} and {42, 77}. A bad pattern is a usage error (exit 2).
//
// The pattern can also come the two other ways a bisect target takes one:
// a command-line flag, `-bisect=PATTERN` (`timerbisect -- protocol_target
// -bisect=PATTERN`), or a GODEBUG setting, `GODEBUG=changes=1#PATTERN`
// (`timerbisect --godebug changes=1 -- protocol_target`).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/hash.h"
#include "protocol/marker.h"
#include "protocol/matcher.h"

namespace {

constexpr int kChanges = 90;

// The variable's value minus any VALUE# prefix.
std::string_view PatternOf(std::string_view value) {
  auto hash = value.rfind('#');
  return hash == std::string_view::npos ? value : value.substr(hash + 1);
}

std::uint64_t ChangeId(int change) {
  return timerbisect::protocol::Hash(std::int64_t{change});
}

// The pattern from -bisect=, else GODEBUG's "changes" setting, else
// CHANGES_BISECT.
std::string_view FindPattern(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("-bisect=")) return arg.substr(8);
  }
  if (const char* godebug = std::getenv("GODEBUG")) {
    // Comma-separated name=value settings; ours is changes=VALUE#PATTERN.
    std::string_view rest = godebug;
    while (!rest.empty()) {
      std::string_view item = rest.substr(0, rest.find(','));
      if (item.starts_with("changes=")) return PatternOf(item.substr(8));
      rest.remove_prefix(std::min(rest.size(), item.size() + 1));
    }
  }
  const char* value = std::getenv("CHANGES_BISECT");
  return PatternOf(value == nullptr ? "" : value);
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view pattern = FindPattern(argc, argv);
  timerbisect::protocol::ParseError error;
  std::optional<timerbisect::protocol::Matcher> matcher =
      timerbisect::protocol::Matcher::Parse(pattern, &error);
  if (!matcher) {
    std::fprintf(stderr, "protocol_target: %s\n", error.Message(pattern).c_str());
    return 2;
  }

  bool on[kChanges + 1] = {};
  for (int change = 1; change <= kChanges; ++change) {
    std::uint64_t id = ChangeId(change);
    on[change] = matcher->ShouldEnable(id);
    if (matcher->ShouldReport(id)) {
      std::string marker = timerbisect::protocol::Marker(id);
      std::fprintf(stderr, "%s change %d\n", marker.c_str(), change);
    }
  }

  // The regressions hiding among the 90 changes.
  if (on[17]) {
    std::printf("FAIL: change 17 breaks the build\n");
    return 1;
  }
  if (on[42] && on[77]) {
    std::printf("FAIL: changes 42 and 77 conflict\n");
    return 1;
  }
  int enabled = 0;
  for (int change = 1; change <= kChanges; ++change) enabled += on[change];
  std::printf("ok: %d of %d changes on\n", enabled, kChanges);
  return 0;
}
