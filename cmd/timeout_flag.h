// --timeout: how long a probe may run before it is stopped (and counts as
// a failure of kind "timeout").
//
// Values: a Go-style duration ("30s", "1.5s", "1m30s", "2h", "250ms"), a
// bare number of seconds as coreutils timeout(1) reads it ("30", "0.5"),
// or "none". Anything under 1 ms is refused: "0" and "999us" once silently
// meant no timeout at all.
//
// Without the flag a probe gets 10 times the native run's duration, at
// least 30 s; the native run itself, which sets that scale, is stopped
// after 10 minutes.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace timerbisect::cmd {

struct TimeoutFlag {
  enum class Kind { kDefault, kNone, kGiven } kind = Kind::kDefault;
  std::chrono::milliseconds given{0};
};

inline constexpr std::chrono::minutes kFirstRunTimeout{10};
inline constexpr std::chrono::seconds kMinDefaultTimeout{30};
inline constexpr int kDefaultTimeoutFactor = 10;

// Parses the flag's value ("" = not given), or says in one line what is wrong.
base::Expected<TimeoutFlag> ParseTimeoutFlag(std::string_view text);

// The timeout of the first run: the given one, none, or kFirstRunTimeout.
std::chrono::milliseconds FirstRunTimeout(const TimeoutFlag& flag);
// The timeout of every later probe, given how long the native run took.
std::chrono::milliseconds ProbeTimeout(const TimeoutFlag& flag,
                                       std::chrono::milliseconds native_run);

// How a timeout reads in progress lines: "30s", "1m30s", "1.5s", "250ms".
std::string FormatTimeout(std::chrono::milliseconds timeout);

}  // namespace timerbisect::cmd
