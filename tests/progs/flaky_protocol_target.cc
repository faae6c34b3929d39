// A bisect-protocol target with 90 changes (as examples/protocol_target)
// whose one culprit, change 17, makes it fail only sometimes: with
// probability FLAKY_P (default 0.5) when change 17 is on, never otherwise.
// The randomness is seeded, so a trial is repeatable: FLAKY_SEED picks the
// trial, and each run draws the next number of that trial's sequence, its
// position taken from a counter file in FLAKY_DIR (one byte appended per
// run). The pattern comes from CHANGES_BISECT (VALUE#PATTERN or PATTERN).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

// splitmix64: a well-mixed 64-bit value from a counter.
std::uint64_t Mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// This run's position in the trial's sequence.
std::uint64_t RunNumber() {
  const char* dir = std::getenv("FLAKY_DIR");
  if (dir == nullptr) return 0;
  std::string path = std::string(dir) + "/runs";
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  if (write(fd, "x", 1) != 1) return 0;
  struct stat st;
  std::uint64_t n = fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  close(fd);
  return n;
}

}  // namespace

int main() {
  const char* value = std::getenv("CHANGES_BISECT");
  std::string_view pattern = value == nullptr ? "" : value;
  if (auto hash = pattern.rfind('#'); hash != std::string_view::npos) {
    pattern = pattern.substr(hash + 1);
  }
  auto matcher = timerbisect::protocol::Matcher::Parse(pattern);
  if (!matcher) return 2;
  bool culprit_on = false;
  for (int change = 1; change <= kChanges; ++change) {
    std::uint64_t id = timerbisect::protocol::Hash(std::int64_t{change});
    if (matcher->ShouldEnable(id) && change == 17) culprit_on = true;
    if (matcher->ShouldReport(id)) {
      std::fprintf(stderr, "%s change %d\n", timerbisect::protocol::Marker(id).c_str(), change);
    }
  }
  const char* p_text = std::getenv("FLAKY_P");
  double p = p_text != nullptr ? std::atof(p_text) : 0.5;
  const char* seed_text = std::getenv("FLAKY_SEED");
  std::uint64_t seed = seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10) : 1;
  double draw =
      static_cast<double>(Mix(seed * 1000003ULL + RunNumber()) >> 11) / 9007199254740992.0;
  if (culprit_on && draw < p) {
    std::printf("FAIL: change 17 broke this run\n");
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
