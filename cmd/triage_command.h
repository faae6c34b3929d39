// `timerbisect triage [flags] -- CMD`: is a flaky test about timers? Runs
// CMD natively, with every site old and with every site new until the
// failure rates are known to the confidence asked (or the budget is spent),
// prints each rate with its interval and a verdict, then bisects with the
// adaptive search when the test is timer-sensitive. --junit and --json for
// CI systems; exit codes as bisect's.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "bisect_command.h"

namespace timerbisect::cmd {

struct TriageOptions {
  SessionOptions bisect;  // triage takes bisect's flags
  std::string junit_path;
  int budget = 60;  // runs per configuration at most, before bisecting
  bool no_bisect = false;
};

CLI::App* AddTriageCommand(CLI::App& app, TriageOptions& options);
int RunTriage(const TriageOptions& options);

}  // namespace timerbisect::cmd
