// `timerbisect [bisect] [flags] -- CMD ARGS...`: finds the minimal sets of
// timer sites whose semantics make CMD fail (docs/DESIGN.md, "The driver").
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher_flags.h"
#include "report/bisect_report.h"
#include "run/failure.h"
#include "search/search.h"
#include "target.h"

namespace timerbisect::cmd {

struct BisectOptions {
  std::vector<std::string> command;
  bool shell = false;
  std::string timeout;  // --timeout as given ("": the default; timeout_flag.h)
  std::string fail_on;
  std::vector<int> fail_exit;
  int count = 1;
  int max_sets = 0;
  std::string algorithm = "auto";
  double confidence = 0.99;  // adaptive search: posterior each verdict needs
  int max_runs = 0;          // adaptive search: budget of runs (0: its default)
  int jobs = 0;              // runs in flight at once (0: the number of cores)
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
  LauncherFlags launcher;  // --launcher, --launcher-arg, --partition, --time-limit
};

// Registers the flags on `app` (the root command: bisect is the default).
void AddBisectFlags(CLI::App& app, BisectOptions& options);
// Runs the bisection; returns the process exit code.
int RunBisect(const BisectOptions& options);

// The pieces bisect and triage share.
//
// Validates the options and fills the target's options; "" or one error line.
std::string PrepareTarget(const BisectOptions& options, TargetOptions& target,
                          std::optional<run::FailureClassifier>& classifier);
// Searches with the chosen algorithm. "auto": the ID split, then, if the
// target turns out flaky (an inconsistent probe, or a found set that does
// not reproduce on reruns), the adaptive statistical search.
search::Result SearchTarget(Target& target, const BisectOptions& options,
                            search::Algorithm forced = search::Algorithm::kIdSplit,
                            bool force = false);
// The report of a search: symbolized sets, reproduce lines, aspects.
report::BisectReport DescribeResult(Target& target, const BisectOptions& options,
                                    const search::Result& result, const ProbeRecord& native);
// Prints the report and writes --json; returns the exit code.
int FinishReport(const report::BisectReport& report, const std::string& json_path);
// What a journal is recorded for: the subcommand, the command, the
// environment that matters and the flags that decide the probes' results.
nlohmann::json JournalIdentity(std::string_view subcommand, const BisectOptions& options,
                               const TargetOptions& target);
// Opens --journal for the run `identity` if asked; "" or one error line
// (also when the journal was recorded for another run).
std::string OpenJournal(const std::string& path, const nlohmann::json& identity, int verbosity,
                        std::optional<run::Journal>& journal);
int JobsOrCores(int jobs);

}  // namespace timerbisect::cmd
