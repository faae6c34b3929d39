// `timerbisect env [--mode old|new] [--sites ID,...] [--from-json FILE
// [--set N]] [--shim PATH]`: prints the export lines that reproduce a mode
// by hand (docs/DESIGN.md, "The toggle protocol"): LD_PRELOAD and TIMERSEM
// for every site, for a list of sites, or for a set a bisection found.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace timerbisect::cmd {

struct EnvOptions {
  std::string mode;       // "old" or "new"; "": new
  std::string sites;      // comma list of hex site IDs
  std::string from_json;  // a `timerbisect --json` result file
  std::string set;        // which of its sets, from 1; "": 1
  std::string shim_path;
};

// Registers the `env` subcommand on `app` and returns it.
CLI::App* AddEnvCommand(CLI::App& app, EnvOptions& options);
// Prints the lines; returns the process exit code (0, or 2 for bad input).
int RunEnv(const EnvOptions& options);

}  // namespace timerbisect::cmd
