#include "triage_command.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <mutex>

#include "exit_codes.h"
#include "launcher_flags.h"
#include "output_file.h"
#include "preflight.h"
#include "progress_line.h"
#include "report/format.h"
#include "report/triage_report.h"
#include "run/interrupt.h"
#include "shim_locator.h"
#include "stats/compare.h"
#include "stats/rate.h"

namespace timerbisect::cmd {
namespace {

// The measurement in progress: the report's rates, and the all-old and
// all-new runs, handed to the bisection so it does not measure them again.
struct Triage : report::TriageReport {
  std::vector<ProbeRecord> baseline_runs;
};

// Runs rounds of all three configurations (`jobs` runs in flight) until old
// and new are told apart or shown the same at the confidence asked.
// `so_far` gets the rates after each round, under `so_far_mu`, for a
// report of an interrupted triage.
Triage MeasureRates(const Session& session, Target& target, const TriageOptions& o,
                    std::mutex& so_far_mu, report::TriageReport& so_far) {
  Triage t;
  stats::CompareOptions compare;
  compare.confidence = o.bisect.confidence;
  int per_round = std::max(1, JobsOrCores(o.bisect.jobs) / 3);
  constexpr int kMinRuns = 3;
  constexpr int kNoSiteRuns = 8;
  const bool on_terminal = isatty(STDERR_FILENO) == 1;
  session.SayFirstRunsStarted("triage's first runs (native, every site old, every site new)");
  while (true) {
    std::vector<ProbeRequest> requests;
    for (const report::Configuration& c : t.configs) {
      for (int i = 0; i < per_round; ++i) requests.push_back({c.pattern, {}});
    }
    std::vector<ProbeRecord> records = target.RunBatch(requests);
    for (std::size_t i = 0; i < records.size(); ++i) {
      stats::Counts& c = t.configs[i / static_cast<std::size_t>(per_round)].counts;
      c.runs += 1;
      c.failures += records[i].verdict.failed ? 1 : 0;
      if (!records[i].pattern.empty()) t.baseline_runs.push_back(records[i]);
    }
    {
      std::lock_guard lock(so_far_mu);
      so_far = t;
    }
    // libasan.so refuses the shim in every run, the command did not run,
    // a wrapper dropped the shim, or it never loaded: RunError says what
    // is wrong.
    if (!session.NativeRunError().empty() || !target.reports().shim_announced()) break;
    const stats::Counts& old_counts = t.configs[1].counts;
    const stats::Counts& new_counts = t.configs[2].counts;
    stats::Comparison cmp = stats::CompareRates(old_counts, new_counts, compare);
    if (!o.bisect.quiet) {
      // On a terminal one line that updates in place; in a log, a line a round.
      std::cerr << (on_terminal ? "\r\033[K" : "")
                << "timerbisect: triage: " << static_cast<long long>(old_counts.runs) * 3
                << " runs; old " << static_cast<long long>(old_counts.failures) << "/"
                << static_cast<long long>(old_counts.runs) << " failed, new "
                << static_cast<long long>(new_counts.failures) << "/"
                << static_cast<long long>(new_counts.runs) << "; "
                << FormatClock(std::chrono::duration_cast<std::chrono::seconds>(session.Elapsed()))
                << " elapsed" << (on_terminal ? "" : "\n") << std::flush;
    }
    bool enough = old_counts.runs >= kMinRuns;
    // No run reached a timer site, so all-old and all-new ran as natively:
    // their rates cannot differ, however far apart chance puts them (a
    // failure in 1 of 3 runs would take thousands of runs to settle).
    // Bisect stops at the same count.
    const bool no_sites = target.reports().Ids().empty();
    if (no_sites && old_counts.runs >= kNoSiteRuns) {
      t.verdict = report::Sensitivity::kNotSensitive;
      t.confidence = cmp.p_same;  // RunTriage sets reached_sites from the reports
      break;
    }
    if (enough && cmp.verdict == stats::Verdict::kBHigher) {
      t.verdict = report::Sensitivity::kUnderNew;
      t.confidence = cmp.p_b_higher;
    } else if (enough && cmp.verdict == stats::Verdict::kAHigher) {
      t.verdict = report::Sensitivity::kUnderOld;
      t.confidence = cmp.p_a_higher;
    } else if (enough && cmp.verdict == stats::Verdict::kSame) {
      // Old and new alike, but both may still fail more than native runs:
      // timers fail it both ways, and neither is a baseline that passes.
      const stats::Counts& native_counts = t.configs[0].counts;
      stats::Comparison vs_old = stats::CompareRates(native_counts, old_counts, compare);
      stats::Comparison vs_new = stats::CompareRates(native_counts, new_counts, compare);
      if (vs_old.verdict == stats::Verdict::kBHigher &&
          vs_new.verdict == stats::Verdict::kBHigher) {
        t.verdict = report::Sensitivity::kUnderBoth;
        t.confidence = std::min(vs_old.p_b_higher, vs_new.p_b_higher);
      } else {
        t.verdict = report::Sensitivity::kNotSensitive;
        t.confidence = cmp.p_same;
      }
    } else if (old_counts.runs >= o.budget) {
      t.verdict = report::Sensitivity::kInconclusive;
      t.confidence = std::max({cmp.p_same, cmp.p_a_higher, cmp.p_b_higher});
      t.runs_to_settle = stats::RunsToSettle(old_counts, new_counts, compare, 10000);
    } else {
      continue;
    }
    break;
  }
  if (on_terminal && !o.bisect.quiet) std::cerr << "\n";  // end the updating line
  return t;
}

}  // namespace

CLI::App* AddTriageCommand(CLI::App& app, TriageOptions& o) {
  CLI::App* triage = app.add_subcommand(
      "triage",
      "Measure CMD's failure rate natively, all-old and all-new; say whether it is "
      "timer-sensitive; bisect if it is");
  triage->footer(
      "Exit codes: 0 timer-sensitive (and its culprits found, unless --no-bisect), 1 not "
      "timer-sensitive,\n2 usage or setup error, 3 inconclusive (the rates, or the bisection; "
      "or timer-sensitive both ways),\n128+N stopped by signal N (Ctrl-C: 130).\n\n" +
      std::string(kShimEnvironmentHelp));
  AddBisectFlags(*triage, o.bisect);
  // Triage measures timer semantics through the shim: a protocol target's
  // flags are bisect's only (its --help listed them, and every use was an
  // error). Its search is always the adaptive one, which takes neither an
  // algorithm nor a run count (both were accepted and ignored).
  for (const char* bisect_only : {"--env", "--godebug", "--algorithm", "--count"}) {
    triage->remove_option(triage->get_option(bisect_only));
  }
  triage->add_option("--junit", o.junit_path, "Also write a JUnit XML report to this file");
  triage
      ->add_option("--budget", o.budget,
                   "Runs per configuration at most before a verdict, 3 to 100000 (default 60)")
      ->check(CLI::Range(3, 100000));
  triage->add_flag("--no-bisect", o.no_bisect, "Only measure the rates");
  return triage;
}

// Prints the errors, and says them in the --junit and --json files a CI
// job collects too (a mistyped test name is the likeliest failure there).
int SetupError(const TriageOptions& o, const Errors& errors) {
  PrintErrors(errors);
  const std::string message = SetupErrorMessage(errors);
  WriteSetupErrorReports(
      errors, {{"--junit", o.junit_path, report::ErrorJUnit(message)},
               {"--json", o.bisect.json_path,
                report::JsonDocument(report::TriageSetupErrorJson(message, o.bisect.command))}});
  return kExitUsage;
}

int RunTriage(const TriageOptions& o) {
  run::InterruptGuard interrupt_guard;  // Ctrl-C stops every probe
  auto made = MakeLauncher(o.bisect.launcher, o.bisect.quiet ? 0 : 1);
  if (!made) return SetupError(o, {made.error()});
  std::unique_ptr<run::Launcher> launcher = std::move(*made);
  SessionChecks checks;
  checks.output_paths = {{"--json", o.bisect.json_path}, {"--junit", o.junit_path}};
  checks.shim_only = true;
  checks.identity_extra = {{"budget", o.budget}, {"no_bisect", o.no_bisect}};
  auto session = Session::Open("triage", o.bisect, *launcher, checks);
  if (!session) return SetupError(o, session.error());
  Session& s = **session;
  if (auto checked = CheckLauncher(*launcher, o.bisect.launcher, s.target().shim_path());
      !checked) {
    return SetupError(o, {checked.error()});
  }
  // A CI job's timeout (SIGTERM) still leaves a --junit and --json that say
  // so (files only: standard output may be a pipe already read).
  std::mutex so_far_mu;
  report::TriageReport so_far;  // the rates of the rounds so far
  run::ScopedLastWords last_words(interrupt_guard, [&s, &o, &so_far_mu, &so_far](int signo) {
    const std::string message = s.InterruptedMessage(signo);
    if (!o.bisect.quiet) std::cerr << "timerbisect: " << message << "\n";  // and how to resume
    WriteInterruptedOutput("--junit", o.junit_path, report::ErrorJUnit(message));
    std::lock_guard lock(so_far_mu);
    WriteInterruptedOutput("--json", o.bisect.json_path,
                           report::JsonDocument(report::InterruptedJson(
                               message, s.target().runs(), s.Elapsed(), o.bisect.command, so_far,
                               o.bisect.confidence)));
  });
  // With --json - or --junit -, that file is standard output; the text goes to stderr.
  std::ostream& text_out =
      (o.bisect.json_path == "-" || o.junit_path == "-") ? std::cerr : std::cout;

  Triage triage = MeasureRates(s, s.target(), o, so_far_mu, so_far);
  if (std::string error = s.RunError(); !error.empty()) {
    last_words.Clear();
    return SetupError(o, {error});
  }
  triage.reached_sites = !s.target().reports().Ids().empty();
  triage.reached_out_of_scope = s.target().reports().reached_out_of_scope();
  std::string text = "timerbisect triage: " + std::to_string(s.target().runs()) + " runs\n" +
                     report::RatesText(triage, o.bisect.confidence);
  if (!report::IsSensitive(triage.verdict)) {
    if (std::string caveat = DroppedShimCaveat(s.target().reports()); !caveat.empty()) {
      text += "timerbisect triage: note: " + caveat + "\n";
    }
  }
  if (s.target().every_run_timed_out()) {
    // Otherwise the rates read as the test failing every time.
    text += "timerbisect triage: note: every run was stopped by the timeout (" +
            FormatTimeout(s.target().timeout()) +
            "), so each failure counted is a timeout; raise --timeout if the test needs longer\n";
  }
  text_out << text << std::flush;  // the verdict shows before a long bisection

  std::optional<report::BisectReport> rep;
  if (triage.verdict == report::Sensitivity::kUnderBoth) {
    std::string both = std::string(kBothWaysAdvice) + "\n";
    text_out << both;
    text += both;
  } else if (report::IsSensitive(triage.verdict) && !o.no_bisect) {
    // Stopped during the bisection, the verdict still stands: the reports
    // keep it and its rates, with the bisection "interrupted".
    last_words.Set([&s, &o, verdict = static_cast<report::TriageReport>(triage), text](int signo) {
      report::TriageReport t = verdict;
      t.duration = s.Elapsed();
      report::BisectReport bisect = s.InterruptedReport(signo);
      if (!bisect.sets.empty()) {
        (o.bisect.json_path == "-" || o.junit_path == "-" ? std::cerr : std::cout)
            << "\n"
            << report::FormatText(bisect) << std::flush;
      } else if (!o.bisect.quiet) {
        std::cerr << "timerbisect: the search for the culprits was " << bisect.message << "\n";
      }
      WriteInterruptedOutput("--junit", o.junit_path,
                             report::JUnit(t, text + "\n" + bisect.message + "\n", &bisect));
      WriteInterruptedOutput("--json", o.bisect.json_path,
                             report::JsonDocument(report::ToJson(t, o.bisect.confidence, &bisect)));
    });
    // Triage's own all-old and all-new runs are where the adaptive search starts.
    search::Result result = s.Search(triage.baseline_runs, search::Algorithm::kAdaptive);
    rep = s.Describe(result, ProbeRecord{});
    std::string bisect_text = report::FormatText(*rep);
    text_out << "\n" << bisect_text;
    text += "\n" + bisect_text;
  }
  triage.duration = s.Elapsed();
  if (rep) rep->duration = triage.duration;
  last_words.Clear();
  const report::BisectReport* rep_ptr = rep ? &*rep : nullptr;
  bool ok = WriteOutput("--junit", o.junit_path, report::JUnit(triage, text, rep_ptr)) &&
            WriteOutput("--json", o.bisect.json_path,
                        report::JsonDocument(report::ToJson(triage, o.bisect.confidence, rep_ptr)));
  if (!ok) return kExitUsage;
  switch (triage.verdict) {
    case report::Sensitivity::kNotSensitive:
      return kExitNotSensitive;
    case report::Sensitivity::kInconclusive:
    case report::Sensitivity::kUnderBoth:  // as bisect's: no set can be searched for
      return kExitInconclusive;
    default:
      return rep ? ExitCode(rep->outcome) : kExitFound;
  }
}

}  // namespace timerbisect::cmd
