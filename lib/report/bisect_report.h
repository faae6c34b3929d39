// The driver's answer: the change sets found, each with symbolized stacks,
// the semantics that make the test fail, and a command that reproduces it;
// as text for people and JSON for tools.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "report/reproduction.h"
#include "search/search.h"
#include "symbolize/symbolizer.h"

namespace timerbisect::report {

struct FoundSite {
  std::uint64_t id = 0;
  std::string api;                             // empty for targets other than the shim
  std::vector<symbolize::SourceFrame> frames;  // innermost first, inlined frames expanded
  std::vector<std::string> lines;              // report lines of targets other than the shim
};

struct FoundSet {
  std::vector<FoundSite> sites;
  std::string mode;  // "new"/"old": what these sites' timers need for the failure; "" for others
  std::vector<std::string> aspects;  // aspects that reproduce it on their own
  Reproduction reproduction;         // its shell line: ShellLine(reproduction)
  double confidence = 0;  // adaptive search: posterior probability of the set; 0: not estimated
  // Adaptive search: its runs of exactly this set, and how many failed (0
  // runs: not measured).
  int runs_of_set = 0;
  int failures_of_set = 0;
};

// The search's outcome, reported as it is.
using Outcome = search::Outcome;

struct BisectReport {
  Outcome outcome = Outcome::kInconclusive;
  std::string message;  // one line: the evidence for not sensitive / inconclusive
  std::vector<std::string> command;
  std::vector<FoundSet> sets;
  int probes = 0;
  int runs = 0;
  std::chrono::milliseconds duration{0};  // the whole command, first probe to answer
  // Stopped by a signal before the whole answer (the JSON's outcome is then
  // "interrupted"; sets holds those settled before it, often none, and
  // message says what they are and how to resume).
  bool interrupted = false;
};

// The "schema_version" of the JSON the driver writes: bumped when a field
// changes meaning or goes away (adding one does not bump it).
inline constexpr int kJsonSchemaVersion = 2;

// The first frame in the user's own code: with source information, outside
// system libraries and headers (/usr/lib, /usr/include: libc, Boost, GLib
// templates); -1 when there is none. The text marks it; the JSON names it.
int FirstUserFrame(const std::vector<symbolize::SourceFrame>& frames);

// The first `count` frames of a stack as the text prints them, a line each
// ("    #3 (inlined) f file:line"), frame `first_user` (FirstUserFrame)
// marked "<- first frame in your code".
void PrintFrames(std::ostream& out, const std::vector<symbolize::SourceFrame>& frames,
                 std::size_t count, symbolize::FrameDetail detail, int first_user);

std::string FormatText(const BisectReport& report);
nlohmann::json ToJson(const BisectReport& report);
// For a bisect stopped by a setup error: {"schema_version", "outcome":
// "setup-error", "message", "command", "sets": []}.
nlohmann::json BisectSetupErrorJson(const std::string& message,
                                    const std::vector<std::string>& command);

// The word for an outcome: "found", "not-timer-sensitive", "inconclusive".
const char* OutcomeName(Outcome outcome);

}  // namespace timerbisect::report
