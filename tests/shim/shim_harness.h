// Runs small programs (tests/progs/shim_*.c, built as prog_shim_*) under the
// shim with a chosen environment and collects what they print and report.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace timerbisect::testing {

struct ShimRun {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;     // stdout
  std::string err;     // stderr
  std::string report;  // the TIMERSEM_REPORT file (empty if the env chose stderr)
};

// Path of a test program built from tests/progs/NAME.c.
std::string ProgPath(const std::string& name);
// Path of the built libtimerbisect.so.
std::string ShimPath();

// Runs `prog` (a ProgPath name or an absolute path) with LD_PRELOAD=shim
// (unless env sets LD_PRELOAD, "" to disable), TIMERSEM_REPORT=<temp file>
// (unless env sets it) and env's other variables on top of a minimal
// environment (PATH, HOME). A variable mapped to "\x01" is removed. Kills the
// program after `timeout_s` seconds (a hang is then visible as signal 9).
ShimRun RunUnderShim(const std::string& prog, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, int timeout_s = 30);

// One behaviour of a test program (argv[1]) under TIMERSEM=timersem; a
// nonzero exit is a test failure.
ShimRun RunProg(const std::string& prog, const std::string& behaviour, const std::string& timersem,
                const std::map<std::string, std::string>& extra = {});
// Its stdout.
std::string Out(const std::string& prog, const std::string& behaviour, const std::string& timersem,
                const std::map<std::string, std::string>& extra = {});
// The running kernel's own behaviour: the program without the shim at all.
std::string Kernel(const std::string& prog, const std::string& behaviour);
// The first of up to `tries` runs (`run()`) that proves what a test needs
// (`proves(run)`): a loaded machine can deschedule a program so that a run
// proves nothing, so this counts evidence, not speed. Adds a failure saying
// `what` when no run proves it, and returns the last run.
template <typename Run, typename Proves>
auto FirstRunThat(int tries, Run run, Proves proves, const std::string& what) -> decltype(run()) {
  decltype(run()) got{};
  for (int i = 0; i < tries; ++i) {
    got = run();
    if (proves(got)) return got;
  }
  ADD_FAILURE() << what;
  return got;
}

// Old mode promises no expiry earlier than the lag (default 1 ms) after the
// arming call. A run proves it only if the program looked within that
// window ("window_ns N" in its output); a loaded machine may deschedule it
// past the window, so this takes the first of a few runs that looked in time
// (counting evidence, not speed).
std::string OldRunWithinLag(const std::string& prog, const std::string& behaviour,
                            const std::map<std::string, std::string>& extra = {});

// A run of an "early_*" behaviour (tests/progs/shim_timerfd.c and
// friends) that looked before the request was due ("looked_in_time 1"): a
// loaded machine may deschedule the program past it, and such a run proves
// nothing, so this retries, counting evidence rather than speed.
std::string LookedInTime(const std::string& prog, const std::string& behaviour,
                         const std::string& timersem,
                         const std::map<std::string, std::string>& extra);

// "old#x<16 hex digits>": the pattern that makes exactly site `id` old.
std::string OldPattern(std::uint64_t id);

// IDs of the match markers in a report (each [bisect-match 0x...] line).
std::set<std::uint64_t> ReportedIds(const std::string& report);

// The "two" behaviour of a test program arms two sites and prints
// "stale_a" and "stale_b": under new#y both are new and two IDs are
// reported; each ID made old alone turns exactly one of them old and is the
// only one reported, the two IDs turn different ones old, and an ID that
// matches neither leaves both new.
void ExpectEachSiteFlipsAlone(const std::string& prog);

// Value of "key" in "key value" or "key=value" lines a program prints; "" if absent.
std::string Field(const std::string& out, const std::string& key);

}  // namespace timerbisect::testing
