// libFuzzer target: cutting a marker never crashes, never reads outside the
// line, and what it cuts out is a marker that parses back to the same ID.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/marker.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string line(reinterpret_cast<const char*>(data), size);
  auto cut = timerbisect::protocol::CutMarker(line);
  if (!cut.found) {
    Check(cut.before == line && cut.after.empty());
    return 0;
  }
  std::string short_line = cut.Short();
  Check(short_line.size() + 16 <= line.size());  // "[bisect-match 0]" at least
  Check(line.starts_with(cut.before) && line.ends_with(cut.after));
  // The canonical marker of the ID, put back, cuts to the same ID and line.
  std::string again = std::string(cut.before) + timerbisect::protocol::Marker(cut.id) + "\n";
  auto recut = timerbisect::protocol::CutMarker(again);
  Check(recut.found && recut.id == cut.id);
  return 0;
}
