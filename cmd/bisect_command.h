// `timerbisect [bisect] [flags] -- CMD ARGS...`: finds the minimal sets of
// timer sites whose semantics make CMD fail (docs/DESIGN.md, "The driver").
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace timerbisect::cmd {

struct BisectOptions {
  std::vector<std::string> command;
  bool shell = false;
  std::string timeout = "0";  // a duration; 0: none
  std::string fail_on;
  std::vector<int> fail_exit;
  int count = 1;
  int max_sets = 0;
  std::string algorithm = "id";
  std::string json_path;
  std::string journal_path;
  std::string shim_path;
  std::string env_pattern;  // VAR=VALUE#PATTERN
  std::string godebug;      // NAME=VALUE
  std::string aspects;
  int depth = 0;
  std::string scope;
  std::string short_threshold;
  std::string lag;
  bool quiet = false;
  bool verbose = false;
};

// Registers the flags on `app` (the root command: bisect is the default).
void AddBisectFlags(CLI::App& app, BisectOptions& options);
// Runs the bisection; returns the process exit code.
int RunBisect(const BisectOptions& options);

}  // namespace timerbisect::cmd
