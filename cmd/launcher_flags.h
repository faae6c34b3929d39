// Where probes run: --launcher local (the default), slurm (one Slurm job
// per probe), or a prefix ('ssh host', 'kubectl exec pod --'), with
// --launcher-arg, --partition and --time-limit (docs/DESIGN.md, "Beyond one
// machine"). bisect, triage and sites take these flags.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "run/probe.h"

namespace timerbisect::cmd {

struct LauncherFlags {
  std::string launcher = "local";          // local, slurm, or a prefix's words
  std::vector<std::string> launcher_args;  // --launcher-arg, repeatable
  std::string partition;                   // slurm only
  std::string time_limit;                  // slurm only: srun --time
};

void AddLauncherFlags(CLI::App& app, LauncherFlags& flags);

// Builds the launcher; "" or one error line (exit 2).
std::string MakeLauncher(const LauncherFlags& flags, int verbosity,
                         std::unique_ptr<run::Launcher>& launcher);

// For a remote launcher, checks with one probe (`test -e SHIM`, no retry)
// that the shim exists where probes run; `shim_flag` is --shim as given,
// located as the session locates it. Nothing to check when the target does
// not use the shim, or the launcher is local. "" or one error line.
std::string CheckLauncher(run::Launcher& launcher, const LauncherFlags& flags,
                          const std::string& shim_flag, bool uses_shim);

}  // namespace timerbisect::cmd
