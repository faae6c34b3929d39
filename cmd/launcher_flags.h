// Where probes run: --launcher local (the default), slurm (one Slurm job
// per probe), or a prefix ('kubectl exec pod --', 'docker exec box'), with
// --launcher-arg, --partition and --time-limit (docs/DESIGN.md, "Beyond one
// machine"). bisect, triage and sites take these flags.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"

#include "run/probe.h"

namespace timerbisect::cmd {

struct LauncherFlags {
  std::string launcher = "local";          // local, slurm, or a prefix's words
  std::vector<std::string> launcher_args;  // --launcher-arg, repeatable
  std::string partition;                   // slurm only
  std::string time_limit;                  // slurm only: srun --time
};

// `one_run`: the command makes one run (sites), so no -j.
void AddLauncherFlags(CLI::App& app, LauncherFlags& flags, bool one_run = false);

// Builds the launcher, or says in one line why not (exit 2).
base::Expected<std::unique_ptr<run::Launcher>> MakeLauncher(const LauncherFlags& flags,
                                                            int verbosity);

// The words a reproduce line puts before `env VAR=... CMD` so that it runs
// where the probes ran: empty for local; the prefix and its --launcher-arg
// words; for slurm, `srun --ntasks=1` with the --partition, --time-limit
// and --launcher-arg given (not the job name and flags that only the
// driver's bookkeeping needs).
std::vector<std::string> ReproductionLauncher(const LauncherFlags& flags);

// For a remote launcher, checks with one probe (`test -e SHIM`, no retry)
// that the shim exists where probes run; `shim_path` is the one the session
// located (Target::shim_path). Nothing to check when it is empty (the target
// does not use the shim), or the launcher is local. Ok, or one error line.
base::Expected<void> CheckLauncher(run::Launcher& launcher, const LauncherFlags& flags,
                                   const std::string& shim_path);

}  // namespace timerbisect::cmd
