// `timerbisect [bisect] [flags] -- CMD ARGS...`: finds the minimal sets of
// timer sites whose semantics make CMD fail (docs/DESIGN.md, "The driver").
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "report/bisect_report.h"
#include "session.h"

namespace timerbisect::cmd {

// Registers the flags on `app` (the root command: bisect is the default;
// triage takes the same ones).
void AddBisectFlags(CLI::App& app, SessionOptions& options);
// Runs the bisection; returns the process exit code.
int RunBisect(const SessionOptions& options);

// Prints the report (text on stdout, or stderr with --json -) and writes
// --json; returns the exit code.
int FinishReport(const report::BisectReport& report, const std::string& json_path);

}  // namespace timerbisect::cmd
