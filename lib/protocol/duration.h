// Durations in the toggle protocol and on the command line: "50us", "1ms",
// "2s", "100ns", "1m"; the unit is required (a bare 5 would be 5 ns here but
// 5 s for --timeout, which reads bare numbers as timeout(1) does; no one
// means 5 ns). Header-only and
// allocation-free: the shim parses TIMERSEM_SHORT/TIMERSEM_LAG with it, the
// driver --timeout.
#pragma once

#include <cstdint>
#include <string_view>

namespace timerbisect::protocol {

// The longest duration taken, 10^9 s (about 31 years): the shim adds a
// lag to the realtime clock's reading, which a longer one overflowed (a
// lag of 8e9 s made old's waits end at once, as new's do).
inline constexpr std::int64_t kMaxDurationNs = 1'000'000'000LL * 1'000'000'000LL;

// The latency aspect's thresholds when TIMERSEM_SHORT and TIMERSEM_LAG are
// unset, as a user writes them: the shim's defaults (shim/config.h) and what
// the driver's --help and notes say they are.
inline constexpr std::string_view kDefaultShort = "50us";
inline constexpr std::string_view kDefaultLag = "1ms";

// False for anything but digits followed by ns, us, ms, s or m, and for
// more than kMaxDurationNs.
constexpr bool ParseDuration(std::string_view s, std::int64_t& ns) {
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return false;
  std::int64_t n = 0;
  for (std::size_t i = 0; i < digits; ++i) n = n * 10 + (s[i] - '0');
  std::string_view unit = s.substr(digits);
  std::int64_t scale = 0;
  if (unit == "ns") {
    scale = 1;
  } else if (unit == "us") {
    scale = 1'000;
  } else if (unit == "ms") {
    scale = 1'000'000;
  } else if (unit == "s") {
    scale = 1'000'000'000;
  } else if (unit == "m") {
    scale = 60'000'000'000;
  } else {
    return false;
  }
  if (n > kMaxDurationNs / scale) return false;  // refused, not wrapped
  ns = n * scale;
  return true;
}

// A duration written in the source (a default), in ns; -1 if it is none.
consteval std::int64_t DurationNs(std::string_view s) {
  std::int64_t ns = 0;
  return ParseDuration(s, ns) ? ns : -1;
}
static_assert(DurationNs(kDefaultShort) > 0 && DurationNs(kDefaultLag) > 0);

}  // namespace timerbisect::protocol
