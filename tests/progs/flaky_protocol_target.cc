// A bisect-protocol target with 90 changes (as examples/protocol_target)
// whose one culprit, change 17, makes it fail only sometimes: with
// probability FLAKY_P (default 0.5) when change 17 is on, never otherwise.
// The randomness is seeded, so a trial is repeatable: FLAKY_SEED picks the
// trial, and a run's draw depends only on the seed, its pattern and how
// many runs of that same pattern came before it (a counter file per
// pattern in FLAKY_DIR, which must exist; one byte appended per run, under
// a lock). So the order in which a driver's parallel runs (-j) start
// changes nothing: runs of different patterns draw from separate sequences,
// and runs of the same pattern in flight together draw that pattern's next
// numbers, each once. Without FLAKY_DIR it exits 125 with a message.
// The pattern comes from CHANGES_BISECT (VALUE#PATTERN or PATTERN).
// FLAKY_CHANGES sets how many changes it reports (default 90, at least 17).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/hash.h"
#include "protocol/marker.h"
#include "protocol/matcher.h"

namespace {

constexpr int kDefaultChanges = 90;

// splitmix64: a well-mixed 64-bit value from a counter.
std::uint64_t Mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// This run's position in the sequence of runs of `pattern` in this trial:
// 1 for the first. The lock makes each run's number its own even when
// several runs of the same pattern start at once.
std::uint64_t RunNumber(std::uint64_t pattern) {
  const char* dir = std::getenv("FLAKY_DIR");
  if (dir == nullptr) {
    std::fprintf(stderr,
                 "flaky_protocol_target: set FLAKY_DIR to a directory for its run counts\n");
    std::exit(125);
  }
  char name[32];
  std::snprintf(name, sizeof name, "/runs-%016llx", static_cast<unsigned long long>(pattern));
  std::string path = std::string(dir) + name;
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  struct stat st;
  if (fd < 0 || flock(fd, LOCK_EX) != 0 || write(fd, "x", 1) != 1 || fstat(fd, &st) != 0) {
    // Without its count every run of a pattern would draw the same number:
    // a target failing by pattern, not at random. Say so and stop.
    std::fprintf(stderr, "flaky_protocol_target: cannot count runs in %s: %s\n", path.c_str(),
                 std::strerror(errno));
    std::exit(125);
  }
  close(fd);  // releases the lock
  return static_cast<std::uint64_t>(st.st_size);
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
  const char* changes_text = std::getenv("FLAKY_CHANGES");
  const int changes =
      changes_text != nullptr ? std::max(17, std::atoi(changes_text)) : kDefaultChanges;
  bool culprit_on = false;
  for (int change = 1; change <= changes; ++change) {
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
  // The pattern's name for its counter file and its draws.
  std::uint64_t key = timerbisect::protocol::Fnv1a64().AddBytes(pattern).value();
  double draw =
      static_cast<double>(Mix(Mix(seed) ^ Mix(key + RunNumber(key))) >> 11) / 9007199254740992.0;
  if (culprit_on && draw < p) {
    std::printf("FAIL: change 17 broke this run\n");
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
