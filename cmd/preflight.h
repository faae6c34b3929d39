// Setup shared by the subcommands that run a command under the shim
// (bisect, sites): the shim's tuning flags turned into its environment, and
// the checks that make a command that cannot work fail before its first run
// (docs/DESIGN.md, "Setup errors are clear and early").
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "report/site_reports.h"

namespace timerbisect::cmd {

// The shim's variables a subcommand exposes as flags; "" or 0: the default.
struct ShimFlags {
  std::string aspects;          // --aspects: TIMERSEM_ASPECTS
  int depth = 0;                // --depth: TIMERSEM_DEPTH
  std::string scope;            // --scope: TIMERSEM_SCOPE
  std::string short_threshold;  // --short: TIMERSEM_SHORT
  std::string lag;              // --lag: TIMERSEM_LAG
};

// Validates the flags and appends their TIMERSEM_* variables to `env`, so a
// typo fails here instead of making every run of the target inert. On a bad
// value returns false and sets `error` to one line naming the flag.
bool ShimEnvFromFlags(const ShimFlags& flags, std::vector<std::pair<std::string, std::string>>& env,
                      std::string& error);

// Checks that `command` can run under the shim: argv[0] exists (unless run
// through a shell), LD_PRELOAD can reach it (not static, setuid, Go), and a
// shim is found (`shim_flag`, else LocateShim's search). Sets `shim_path`;
// returns "" or one error line.
std::string PreflightShimTarget(const std::vector<std::string>& command, bool shell,
                                const std::string& shim_flag, std::string& shim_path);

// After runs under the shim: "" if the shim reached the program, else one
// error line: the shim never loaded (a static or setuid program, sudo), or
// it loaded only in a wrapper that then ran the program with an environment
// without it (env -i), and no run reached a timer site.
std::string ShimNotReachedError(const report::ReportCollector& reports);

}  // namespace timerbisect::cmd
