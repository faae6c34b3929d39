// libFuzzer target: the pattern parser never crashes, reports errors inside
// the pattern, and a parsed matcher agrees with its own condition list.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/matcher.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// The plainly correct reading of a condition list: the last matching
// condition decides; nothing matches means "not in the set".
bool InSet(const timerbisect::protocol::Matcher& m, std::uint64_t id) {
  bool in = false;
  for (const auto& c : m.conditions())
    if ((id & c.mask) == c.bits) in = c.result;
  return in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view pattern(reinterpret_cast<const char*>(data), size);
  timerbisect::protocol::ParseError error;
  auto m = timerbisect::protocol::Matcher::Parse(pattern, &error);
  if (!m) {
    Check(error.position <= pattern.size());
    Check(!error.reason.empty());
    return 0;
  }
  Check(m->active() == !pattern.empty());
  // A leading 'q' (quiet) reports nothing, unless a 'v' follows it.
  const bool q = pattern.starts_with('q');
  const std::string_view after_q = q ? pattern.substr(1) : pattern;
  Check(m->Verbose() == after_q.starts_with('v'));
  const bool quiet = q && !after_q.starts_with('v');
  std::uint64_t ids[] = {0, ~std::uint64_t{0}, 0x65a, size * 0x9e3779b97f4a7c15ull};
  for (std::uint64_t id : ids) {
    if (!m->active()) continue;
    Check(m->ShouldReport(id) == (!quiet && InSet(*m, id)));
    // Enable equals the set, or its inverse for every id alike (the '!').
    Check((m->ShouldEnable(id) == InSet(*m, id)) == (m->ShouldEnable(ids[0]) == InSet(*m, ids[0])));
  }
  return 0;
}
