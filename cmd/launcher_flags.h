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

// Builds the launcher. For a remote one, first checks with one probe that
// the shim exists where probes run (`test -e SHIM`; `shim_path` empty: no
// shim, no check). Returns "" or one error line (exit 2).
std::string MakeLauncher(const LauncherFlags& flags, const std::string& shim_path, int verbosity,
                         std::unique_ptr<run::Launcher>& launcher);

}  // namespace timerbisect::cmd
