// `timerbisect sites [flags] -- CMD ARGS...`: runs CMD once under
// TIMERSEM=watch (native semantics, every site reported) and lists every
// timer site reached, per API, with its counts and symbolized stack, and the
// timers still armed or never closed at exit (docs/DESIGN.md, "The driver").
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "launcher_flags.h"

namespace timerbisect::cmd {

struct SitesOptions {
  std::vector<std::string> command;
  bool shell = false;
  std::string json_path;
  std::string scope;
  int depth = 0;
  std::string short_threshold;
  std::string timeout;  // --timeout as given ("": the default; timeout_flag.h)
  std::string shim_path;
  LauncherFlags launcher;  // --launcher, --launcher-arg, --partition, --time-limit
};

// Registers the `sites` subcommand on `app` and returns it.
CLI::App* AddSitesCommand(CLI::App& app, SitesOptions& options);
// Runs it; returns the process exit code (0, or 2 for a usage or setup error).
int RunSites(const SitesOptions& options);

}  // namespace timerbisect::cmd
