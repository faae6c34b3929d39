#include "bisect_command.h"

#include <cmath>
#include <cstdlib>
#include <iostream>

#include "exit_codes.h"
#include "launcher_flags.h"
#include "output_file.h"
#include "protocol/duration.h"
#include "report/format.h"
#include "run/interrupt.h"

namespace timerbisect::cmd {

void AddBisectFlags(CLI::App& app, SessionOptions& o) {
  app.add_option("command", o.command, "The test command, after --")->expected(-1);
  app.add_flag("--shell", o.shell,
               "Run the command through /bin/sh -c (the words after -- joined with spaces)");
  app.add_option("--timeout", o.timeout,
                 "Stop a probe after this long (30s, 1.5s, 1m30s, 2h; a bare number is seconds; "
                 "none); it counts as a failure of kind timeout. Default: 10x the native run, at "
                 "least 30s (the native run itself: 10m)");
  app.add_option("--fail-on", o.fail_on, "Only output matching this re2 regex is the failure");
  app.add_option("--fail-exit", o.fail_exit,
                 "Only these exit codes (0 to 255, comma-separated) are the failure")
      ->delimiter(',')
      ->check(CLI::Range(0, 255));
  app.add_option("--count", o.count, "Runs per probe, 1 to 1000; they must agree (default 1)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--max", o.max_sets, "Stop after this many sets, up to 1000000 (default 0: all)")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--maxset", o.max_set_size,
                 "Do not search for sets of more sites than this; stop where one is needed "
                 "(Go bisect's -maxset; default 0: no limit)")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--algorithm", o.algorithm,
                 "auto (the default: id, adaptive if the target is flaky), id, suffix (Go "
                 "bisect's) or adaptive")
      ->check(CLI::IsMember({"auto", "id", "suffix", "adaptive"}));
  app.add_option("--confidence", o.confidence,
                 "Adaptive search: confidence of each verdict, 0.5 to 0.9999 (default 0.99)")
      ->check(CLI::Range(0.5, 0.9999))
      // Range lets NaN through: every comparison with it is false.
      ->check(CLI::Validator(
          [](std::string& text) {
            return std::isnan(std::strtod(text.c_str(), nullptr)) ? std::string("not a number")
                                                                  : std::string();
          },
          "", "not NaN"));
  app.add_option("--max-runs", o.max_runs,
                 "Adaptive search: budget of target runs, up to 1000000 (default 0: 400)")
      ->check(CLI::Range(0, 1000000));
  app.add_option("-j,--jobs", o.jobs,
                 "Runs in flight at once, up to 256 (default 0: the number of cores)")
      ->check(CLI::Range(0, 256));
  app.add_option("--json", o.json_path,
                 "Also write the result as JSON to this file (-: stdout, the text to stderr)");
  app.add_option("--journal", o.journal_path,
                 "Record every probe in this file; rerun with the same file to resume");
  app.add_option("--shim", o.shim_path,
                 "libtimerbisect.so to preload (default: $TIMERBISECT_SHIM, else found beside "
                 "the timerbisect executable)");
  app.add_option("--env", o.env_pattern,
                 "Bisect a protocol target: VAR=VALUE with PATTERN in the value, e.g. "
                 "MYTOOL_BISECT=#PATTERN (or give VAR=...PATTERN... before the command, as Go's "
                 "bisect takes it)");
  app.add_option("--godebug", o.godebug, "Bisect a Go program's GODEBUG setting NAME=VALUE");
  app.add_option("--aspects", o.aspects, "Shim aspects: stale,latency (default both)");
  app.add_option("--depth", o.depth, "Frames per site ID, 1 to 64 (default 16)")
      ->check(CLI::Range(1, 64));
  app.add_option("--scope", o.scope, "re2 regex: only sites with a matching frame count");
  app.add_option(
      "--short", o.short_threshold,
      "Latency aspect: short timer threshold (" + std::string(protocol::kDefaultShort) + ")");
  app.add_option("--lag", o.lag,
                 "Latency aspect: how late old mode sees short timers (" +
                     std::string(protocol::kDefaultLag) + ")");
  app.add_flag("-q,--quiet", o.quiet, "No progress on stderr");
  app.add_flag("-v,--verbose", o.verbose, "Show every probe's output on stderr");
  AddLauncherFlags(app, o.launcher);
}

int FinishReport(const report::BisectReport& rep, const std::string& json_path) {
  // With --json - the JSON is standard output, and the text goes to stderr.
  (json_path == "-" ? std::cerr : std::cout) << report::FormatText(rep);
  if (!WriteOutput("--json", json_path, report::JsonDocument(report::ToJson(rep))))
    return kExitUsage;
  return ExitCode(rep.outcome);
}

// One line for each flag the chosen search does not read, so it is not
// dropped without a word.
void SayUnreadFlags(const SessionOptions& o) {
  const bool deterministic = o.algorithm == "id" || o.algorithm == "suffix";
  const auto say = [&](const std::string& flag, const char* why) {
    std::cerr << "timerbisect: " << flag << " has no effect with --algorithm " << o.algorithm
              << ": " << why << "\n";
  };
  if (o.algorithm == "adaptive" && o.count > 1) {
    say("--count " + std::to_string(o.count), "the adaptive search decides its reruns itself");
  }
  if (deterministic && o.max_runs > 0) {
    say("--max-runs", "it is the budget of the adaptive search and of the default's checks");
  }
  if (deterministic && o.confidence != 0.99) {
    say("--confidence", "it is for the adaptive search and the default's checks");
  }
}

// Prints the errors, and says them in the --json file too.
int SetupError(const SessionOptions& o, const Errors& errors) {
  PrintErrors(errors);
  WriteSetupErrorReports(
      errors,
      {{"--json", o.json_path,
        report::JsonDocument(report::BisectSetupErrorJson(SetupErrorMessage(errors), o.command))}});
  return kExitUsage;
}

int RunBisect(const SessionOptions& o) {
  run::InterruptGuard interrupt_guard;  // Ctrl-C stops every probe
  auto made = MakeLauncher(o.launcher, o.quiet ? 0 : 1);
  if (!made) return SetupError(o, {made.error()});
  std::unique_ptr<run::Launcher> launcher = std::move(*made);
  auto session = Session::Open("bisect", o, *launcher, {.output_paths = {{"--json", o.json_path}}});
  if (!session) return SetupError(o, session.error());
  Session& s = **session;
  SayUnreadFlags(o);
  if (auto checked = CheckLauncher(*launcher, o.launcher, s.target().shim_path()); !checked) {
    return SetupError(o, {checked.error()});
  }
  // A CI job's timeout (SIGTERM) still leaves a --json that says so (a
  // file only: standard output may be a pipe already read). Sets already
  // found (an interrupt while their aspects are found) are printed too.
  run::ScopedLastWords last_words(interrupt_guard, [&s, &o](int signo) {
    report::BisectReport rep = s.InterruptedReport(signo);
    if (!rep.sets.empty()) {
      (o.json_path == "-" ? std::cerr : std::cout) << report::FormatText(rep) << std::flush;
    } else if (!o.quiet) {
      std::cerr << "timerbisect: " << rep.message << "\n";  // and how to resume
    }
    if (o.json_path.empty()) return;
    WriteInterruptedOutput("--json", o.json_path, report::JsonDocument(report::ToJson(rep)));
  });
  ProbeRecord native = s.RunNative();
  if (std::string error = s.NativeRunError(); !error.empty()) {
    last_words.Clear();
    return SetupError(o, {error});
  }
  search::Result result = s.Search();
  if (std::string error = s.RunError(); !error.empty()) {
    last_words.Clear();
    return SetupError(o, {error});
  }
  report::BisectReport rep = s.Describe(result, native);
  rep.duration = s.Elapsed();
  last_words.Clear();
  return FinishReport(rep, o.json_path);
}

}  // namespace timerbisect::cmd
