#include "timeout_flag.h"

#include <cmath>
#include <cstdio>
#include <optional>

namespace timerbisect::cmd {
namespace {

// Nanoseconds in one `unit`, or nullopt.
std::optional<double> UnitNs(std::string_view unit) {
  if (unit == "ns") return 1.0;
  if (unit == "us" || unit == "µs") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return std::nullopt;
}

// A decimal number at the start of `s` (digits, at most one '.'), removed
// from `s`; nullopt when there is none.
std::optional<double> TakeNumber(std::string_view& s) {
  std::size_t end = 0;
  bool dot = false, digit = false;
  while (end < s.size() && ((s[end] >= '0' && s[end] <= '9') || (s[end] == '.' && !dot))) {
    dot |= s[end] == '.';
    digit |= s[end] != '.';
    ++end;
  }
  if (!digit || end > 18) return std::nullopt;
  double value = std::strtod(std::string(s.substr(0, end)).c_str(), nullptr);
  s.remove_prefix(end);
  return value;
}

}  // namespace

base::Expected<TimeoutFlag> ParseTimeoutFlag(std::string_view text) {
  using Result = base::Expected<TimeoutFlag>;
  TimeoutFlag flag;
  if (text.empty()) return flag;
  if (text == "none") {
    flag.kind = TimeoutFlag::Kind::kNone;
    return flag;
  }
  const std::string quoted = "timerbisect: --timeout " + std::string(text) + ": ";
  std::string_view rest = text;
  double ns = 0;
  bool bare = true;
  while (!rest.empty()) {
    std::optional<double> number = TakeNumber(rest);
    if (!number)
      return Result::Fail(quoted + "expected a duration such as 30s, 1.5s, 1m30s or 2h, or none");
    std::size_t unit_end = 0;
    while (unit_end < rest.size() && !(rest[unit_end] >= '0' && rest[unit_end] <= '9') &&
           rest[unit_end] != '.') {
      ++unit_end;
    }
    std::string_view unit = rest.substr(0, unit_end);
    rest.remove_prefix(unit_end);
    if (unit.empty()) {
      if (!bare || !rest.empty())
        return Result::Fail(quoted + "a number needs a unit (ns, us, ms, s, m, h)");
      ns = *number * 1e9;  // a bare number is seconds, as in timeout(1)
      break;
    }
    bare = false;
    std::optional<double> scale = UnitNs(unit);
    if (!scale) {
      return Result::Fail(quoted + "unknown unit \"" + std::string(unit) +
                          "\" (use ns, us, ms, s, m or h)");
    }
    ns += *number * *scale;
  }
  if (ns < 1e6)
    return Result::Fail(quoted + "under 1ms; give at least 1ms, or none for no timeout");
  if (ns > 1e9 * 3600 * 24 * 365)
    return Result::Fail(quoted + "longer than a year; use none for no timeout");
  flag.kind = TimeoutFlag::Kind::kGiven;
  flag.given = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ns / 1e6)));
  return flag;
}

std::chrono::milliseconds FirstRunTimeout(const TimeoutFlag& flag) {
  switch (flag.kind) {
    case TimeoutFlag::Kind::kNone:
      return std::chrono::milliseconds(0);
    case TimeoutFlag::Kind::kGiven:
      return flag.given;
    case TimeoutFlag::Kind::kDefault:
      break;
  }
  return kFirstRunTimeout;
}

std::chrono::milliseconds ProbeTimeout(const TimeoutFlag& flag,
                                       std::chrono::milliseconds native_run) {
  if (flag.kind != TimeoutFlag::Kind::kDefault) return FirstRunTimeout(flag);
  return std::max<std::chrono::milliseconds>(kMinDefaultTimeout,
                                             native_run * kDefaultTimeoutFactor);
}

std::string FormatTimeout(std::chrono::milliseconds timeout) {
  std::int64_t ms = timeout.count();
  char buf[64];
  if (ms % 1000 != 0 && ms < 60'000) {
    if (ms < 1000) {
      std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
    } else {
      std::snprintf(buf, sizeof buf, "%gs", static_cast<double>(ms) / 1000.0);
    }
    return buf;
  }
  std::int64_t s = (ms + 500) / 1000;
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h", s %= 3600;
  if (s >= 60) out += std::to_string(s / 60) + "m", s %= 60;
  if (s > 0 || out.empty()) out += std::to_string(s) + "s";
  return out;
}

}  // namespace timerbisect::cmd
