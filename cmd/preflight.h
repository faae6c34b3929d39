// Setup shared by the subcommands that run a command under the shim
// (bisect, sites): the shim's tuning flags turned into its environment, and
// the checks that make a command that cannot work fail before its first run
// (docs/DESIGN.md, "Setup errors are clear and early").
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "report/site_reports.h"

namespace timerbisect::cmd {

// The shim's variables a subcommand exposes as flags; "" or 0: the default.
struct ShimFlags {
  std::string aspects;          // --aspects: TIMERSEM_ASPECTS
  int depth = 0;                // --depth: TIMERSEM_DEPTH
  std::string scope;            // --scope: TIMERSEM_SCOPE
  std::string short_threshold;  // --short: TIMERSEM_SHORT
  std::string lag;              // --lag: TIMERSEM_LAG
  // The variables whose values came from the environment
  // (AdoptInheritedShimSettings): an error names the variable, not the flag.
  std::vector<std::string> from_environment;
  // false for `sites`, which has no --aspects or --lag to offer instead.
  bool aspects_and_lag_flags = true;
  // Of those, the ones a VAR=VALUE word before the command gave.
  std::vector<std::string> before_command;
};

// Whether `name` is one of the shim's settings that a flag also sets
// (TIMERSEM_ASPECTS, _DEPTH, _SCOPE, _SHORT, _LAG).
bool IsShimSettingVariable(std::string_view name);

// The shim's settings the environment already holds for flags not given
// (TIMERSEM_SHORT=5ms exported in the shell, as `timerbisect env` prints
// it): every probe would inherit them, so they are taken as those flags,
// checked as the flags are, and so written into the reproduce lines and the
// journal. Returns what it took, "TIMERSEM_SHORT=5ms (--short)" each; one
// error line for a TIMERSEM_DEPTH that is no number of frames, or a
// TIMERSEM_DEPTH, _SHORT or _LAG set empty (the shim refuses those).
base::Expected<std::vector<std::string>> AdoptInheritedShimSettings(ShimFlags& flags);

// Validates the flags and gives their TIMERSEM_* variables, so a typo fails
// here instead of making every run of the target inert; on a bad value, one
// line naming the flag.
base::Expected<std::vector<std::pair<std::string, std::string>>> ShimEnvFromFlags(
    const ShimFlags& flags);

// Checks that `command` can run under the shim: argv[0] exists (unless run
// through a shell), LD_PRELOAD can reach it (not static, setuid, Go), and a
// shim is found (`shim_flag`, else LocateShim's search). The shim's path, or
// one error line.
// A note when the short threshold is above the lag (both valid, or the
// shim's defaults, protocol::kDefaultShort and kDefaultLag): old arms a short timer for
// max(request, lag), so between the two old changes nothing. "" otherwise.
std::string ShortAboveLagNote(const ShimFlags& flags);

base::Expected<std::string> PreflightShimTarget(const std::vector<std::string>& command, bool shell,
                                                const std::string& shim_flag);

// What g++'s AddressSanitizer prints, and exits 1, when LD_PRELOAD puts
// another library (the shim) before its runtime, libasan.so.
inline constexpr std::string_view kAsanLinkOrderError =
    "ASan runtime does not come first in initial library list";

// The error for a run in which libasan.so refused the preloaded shim: what
// to set so that it does not.
std::string AsanRefusedPreloadError();

// After runs under the shim: "" if the shim reached the program, else one
// error line: the shim never loaded (a static or setuid program, sudo), or
// it loaded only in a wrapper that then ran the program with an environment
// without it (env -i), and no run reached a timer site. A g++-ASan program
// that refused the shim is told apart before (AsanRefusedPreloadError).
std::string ShimNotReachedError(const report::ReportCollector& reports);

// The second half of ShimNotReachedError: the runs so far reached no timer
// site and an exec dropped the shim. Known after the first run (the native
// one), so the driver stops there instead of searching runs that cannot
// reach the program.
std::string ShimDroppedError(const report::ReportCollector& reports);

// When a wrapper reached timer sites and then ran something without the
// shim (`timeout 60 env -u LD_PRELOAD ./test`), runs do reach sites, but
// maybe not the test's: for an answer of "not timer-sensitive" or
// "inconclusive", "the shim was dropped when PATH (missing ...) was
// started: if that is the test, it ran with native timers in every run;
// ..." (empty when no exec dropped it).
std::string DroppedShimCaveat(const report::ReportCollector& reports);

}  // namespace timerbisect::cmd
