// --journal FILE: every probe appended as one JSON line, so that a driver
// killed (even with SIGKILL) and started again with the same journal replays
// the recorded probes instead of re-running them and reaches the same
// answer (the searches are deterministic functions of the probe results).
//
// The first line says what run the journal belongs to:
//   {"timerbisect_journal":1,"identity":{"command":[...],...}}
// The identity is whatever the caller says decides the probes' results (the
// command, the environment that matters, the search flags); a journal
// opened with another identity is refused, so a journal made for one
// command never answers for another.
//
// Then one line per probe, written with one write(2) on an O_APPEND descriptor:
//   {"key":"...","pattern":"...","failed":true,"kind":"exit 1",
//    "duration_ms":12,"reported":["0x..."],"report":"<marker lines>",
//    "node":"n17"}
// ("node" only for probes a remote launcher ran: where they ran.)
// A line cut short by a kill is ignored on load.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace timerbisect::run {

struct JournalEntry {
  std::string key;      // what was run: pattern plus any extra environment
  std::string pattern;  // for people reading the journal
  bool failed = false;
  std::string kind;  // the verdict's kind: "exit 1", "timeout", "pass"
  std::chrono::milliseconds duration{0};
  std::vector<std::uint64_t> reported;
  std::string report;  // the report lines that matter (markers, announcement)
  std::string node;    // where it ran (a remote launcher's node); empty: here
};

class Journal {
 public:
  // Opens (creating if needed) the journal for the run `identity` (a JSON
  // object, as text) and loads the probes recorded in it. A journal
  // recorded for another identity, or with probes but no identity line, is
  // an error, in one line.
  static base::Expected<Journal> Open(const std::string& path, const std::string& identity);

  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;
  ~Journal();

  // The next recorded result for `key`, in recording order (a pattern run
  // three times is replayed three times), or nullopt when none is left.
  std::optional<JournalEntry> Replay(const std::string& key);
  // Appends a probe; false if the write failed.
  bool Append(const JournalEntry& entry);

  int loaded() const { return loaded_; }

 private:
  Journal() = default;

  int fd_ = -1;
  std::map<std::string, std::deque<JournalEntry>> recorded_;
  int loaded_ = 0;
};

}  // namespace timerbisect::run
