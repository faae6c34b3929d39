// The toggle protocol: the shim's environment variables, parsed once.
//
//   TIMERSEM          native | old | new | old#PATTERN | new#PATTERN | watch
//                     watch: report only. Every site keeps native semantics and
//                     is reported once per process with its frames (as under a
//                     `v` pattern); per-site counters (arms, re-arms, short
//                     timeouts) and the timerfds and POSIX timers still open are
//                     written when the process exits through exit() or a return
//                     from main (not after _exit, exec or a crash): watch.h.
//                     TIMERSEM_SCOPE, _DEPTH, _REPORT and _SHORT apply as usual.
//   TIMERSEM_ASPECTS  comma list of stale, latency (default: both)
//   TIMERSEM_REPORT   file path (appended with O_APPEND) or "stderr" (default)
//   TIMERSEM_DEPTH    frames hashed per site, 1..64 (default 16)
//   TIMERSEM_SCOPE    re2 regex; a site counts only if a frame's module or symbol matches
//   TIMERSEM_SHORT    latency aspect: timers at most this long are "short" (default 50us)
//   TIMERSEM_LAG      latency aspect: how late old mode sees short timers (default 1ms)
//
// Parsing allocates (the pattern, the regex); it runs once, under the
// reentrancy guard, never on a per-call path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/duration.h"
#include "protocol/matcher.h"
#include "protocol/plain_alternation.h"

namespace re2 {
class RE2;
}

namespace timerbisect::shim {

enum class Mode : std::uint8_t { kOld = 0, kNew = 1 };

inline constexpr unsigned kAspectStale = 1u << 0;
inline constexpr unsigned kAspectLatency = 1u << 1;

// A setting's value when the process started ("" when unset or empty),
// which an exec'd child must also have (exec.cc).
struct SettingAtStart {
  const char* name;
  std::string value;
};

struct Config {
  bool active = false;             // false: every call goes straight to libc
  bool watch = false;              // TIMERSEM=watch: report and count, change nothing
  Mode pattern_mode = Mode::kNew;  // mode of the sites the pattern enables
  protocol::Matcher matcher;       // inactive matcher: every site gets pattern_mode, none reported
  std::string timersem;            // the raw TIMERSEM value, for the announcement line
  unsigned aspects = kAspectStale | kAspectLatency;
  int depth = 16;
  const re2::RE2* scope = nullptr;  // null: every site counts; never freed (lives with the process)
  // The scope when it is names joined by '|': matched with no allocation,
  // so a site first reached in a signal handler cannot deadlock in malloc.
  protocol::PlainAlternation scope_plain;
  std::string report_path;  // empty: stderr
  std::int64_t short_ns = protocol::DurationNs(protocol::kDefaultShort);
  std::int64_t lag_ns = protocol::DurationNs(protocol::kDefaultLag);
  // As they were set: TIMERSEM_ASPECTS, _DEPTH, _SCOPE, _SHORT and _LAG
  // decide a site's ID or mode, and TIMERSEM_REPORT where its reports go.
  SettingAtStart child_settings[6] = {{"TIMERSEM_ASPECTS", {}}, {"TIMERSEM_DEPTH", {}},
                                      {"TIMERSEM_SCOPE", {}},   {"TIMERSEM_SHORT", {}},
                                      {"TIMERSEM_LAG", {}},     {"TIMERSEM_REPORT", {}}};
};

// Reads the environment (through `getenv`). On a bad value returns false and
// sets `error` to one line naming the variable, the value and what is wrong.
bool ParseConfig(Config& config, std::string& error);

// `text` with control bytes written as \xNN: error lines quote values from
// the environment, which may hold newlines, and must stay one line.
std::string OneLine(std::string_view text);

}  // namespace timerbisect::shim
