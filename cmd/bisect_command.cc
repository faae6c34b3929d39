#include "bisect_command.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "output_file.h"
#include "preflight.h"
#include "progress_line.h"
#include "protocol/duration.h"
#include "protocol/matcher.h"
#include "report/bisect_report.h"
#include "run/interrupt.h"
#include "run/preflight.h"
#include "search/agreement.h"
#include "search/search.h"
#include "site_frames.h"
#include "symbolize/symbolizer.h"
#include "target.h"

namespace timerbisect::cmd {
namespace {

constexpr int kExitUsage = report::kExitUsage;
// Runs of each of all-old and all-new before "not timer-sensitive" stands
// (search/agreement.h).
constexpr int kAgreementRuns = 8;

// NAME=VALUE with a shell variable name, as env(1) takes it.
bool IsAssignment(const std::string& word) {
  auto eq = word.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  for (std::size_t i = 0; i < eq; ++i) {
    char c = word[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

int UsageError(const std::string& message) {
  std::cerr << message << "\n";
  return kExitUsage;
}

// Symbolized stacks and report lines of the sites of one set.
std::vector<report::FoundSite> DescribeSites(const std::vector<std::uint64_t>& ids,
                                             const report::ReportCollector& reports,
                                             symbolize::Symbolizer& symbolizer) {
  std::vector<report::FoundSite> sites;
  for (std::uint64_t id : ids) {
    report::FoundSite site;
    site.id = id;
    auto it = reports.sites().find(id);
    if (it != reports.sites().end()) {
      site.api = it->second.api;
      site.lines = it->second.lines;
      site.frames = SymbolizeSiteFrames(it->second, symbolizer);
    }
    sites.push_back(std::move(site));
  }
  return sites;
}

// Which aspects on their own make the difference (shim targets only): with
// only aspect X toggled (the other native), the set's failing configuration
// fails and the passing baseline passes. Both runs are needed because the
// native behaviour of an aspect may itself be the failing one (Linux
// timerfds discard stale expirations: native is new for them).
// Each configuration runs `count` times and every run must agree: with one
// aspect native, a load-dependent native behaviour could otherwise implicate
// an aspect by chance.
std::vector<std::string> AspectsThatFail(Target& target, const std::string& pattern,
                                         const std::string& baseline, int count) {
  std::vector<std::string> aspects;
  for (const char* aspect : {"stale", "latency"}) {
    EnvList only = {{"TIMERSEM_ASPECTS", aspect}};
    bool implicated = true;
    for (int i = 0; i < count && implicated; ++i) {
      implicated =
          target.Run(pattern, only).verdict.failed && !target.Run(baseline, only).verdict.failed;
    }
    if (implicated) aspects.push_back(aspect);
  }
  return aspects;
}

}  // namespace

void AddBisectFlags(CLI::App& app, BisectOptions& o) {
  app.add_option("command", o.command, "The test command, after --")->expected(-1);
  app.add_flag("--shell", o.shell,
               "Run the command through /bin/sh -c (the words after -- joined with spaces)");
  app.add_option("--timeout", o.timeout,
                 "Stop a probe after this long (30s, 1.5s, 1m30s, 2h; a bare number is seconds; "
                 "none); it counts as a failure of kind timeout. Default: 10x the native run, at "
                 "least 30s (the native run itself: 10m)");
  app.add_option("--fail-on", o.fail_on, "Only output matching this re2 regex is the failure");
  app.add_option("--fail-exit", o.fail_exit, "Only these exit codes are the failure")
      ->delimiter(',');
  app.add_option("--count", o.count, "Runs per probe; they must agree (default 1)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--max", o.max_sets, "Stop after this many sets (default 0: all)")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--algorithm", o.algorithm,
                 "auto (the default: id, adaptive if the target is flaky), id, suffix (Go "
                 "bisect's) or adaptive")
      ->check(CLI::IsMember({"auto", "id", "suffix", "adaptive"}));
  app.add_option("--confidence", o.confidence,
                 "Adaptive search: confidence of each verdict (default 0.99)")
      ->check(CLI::Range(0.5, 0.9999));
  app.add_option("--max-runs", o.max_runs,
                 "Adaptive search: budget of target runs (default 0: 400)")
      ->check(CLI::Range(0, 1000000));
  app.add_option("-j,--jobs", o.jobs, "Runs in flight at once (default: the number of cores)")
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
  app.add_option("--short", o.short_threshold, "Latency aspect: short timer threshold (50us)");
  app.add_option("--lag", o.lag, "Latency aspect: how late old mode sees short timers (1ms)");
  app.add_flag("-q,--quiet", o.quiet, "No progress on stderr");
  app.add_flag("-v,--verbose", o.verbose, "Show every probe's output on stderr");
  AddLauncherFlags(app, o.launcher);
}

int JobsOrCores(int jobs) {
  if (jobs > 0) return jobs;
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

std::string PrepareTarget(const BisectOptions& o, TargetOptions& t,
                          std::optional<run::FailureClassifier>& classifier) {
  if (o.command.empty())
    return "timerbisect: no command; usage: timerbisect [flags] -- CMD ARGS...";
  t.shell = o.shell;
  t.verbosity = o.quiet ? 0 : (o.verbose ? 2 : 1);
  if (std::string error = ParseTimeoutFlag(o.timeout, t.timeout); !error.empty()) return error;
  std::string error;
  classifier = run::FailureClassifier::Make({o.fail_on, o.fail_exit}, &error);
  if (!classifier) return error;

  // Go bisect's form: leading VAR=VALUE words set the command's environment
  // (as env(1) reads them), and one of them may hold PATTERN anywhere in its
  // value: `timerbisect -- GODEBUG=asynctimerchan=1#PATTERN ./test`.
  std::size_t first_word = 0;
  std::string env_pattern = o.env_pattern;
  if (!o.shell) {
    for (; first_word < o.command.size() && IsAssignment(o.command[first_word]); ++first_word) {
      const std::string& word = o.command[first_word];
      if (word.find("PATTERN") == std::string::npos) {
        auto eq = word.find('=');
        t.command_env.emplace_back(word.substr(0, eq), word.substr(eq + 1));
      } else if (!env_pattern.empty()) {
        return "timerbisect: " + word +
               ": only one variable can hold PATTERN (--env gives one already)";
      } else {
        env_pattern = word;
      }
    }
  }
  if (first_word == o.command.size()) {
    return "timerbisect: no command after the variables; usage: timerbisect [flags] -- "
           "[VAR=VALUE...] CMD ARGS...";
  }
  t.argv.assign(o.command.begin() + static_cast<std::ptrdiff_t>(first_word), o.command.end());

  bool argv_pattern = false;
  for (const auto& word : t.argv) argv_pattern |= word.find("PATTERN") != std::string::npos;
  int protocol_modes = !env_pattern.empty() + !o.godebug.empty() + argv_pattern;
  if (protocol_modes > 1) {
    return "timerbisect: use only one of --env, --godebug, a VAR=...PATTERN... word and PATTERN "
           "in the command";
  }
  if (!env_pattern.empty()) {
    auto eq = env_pattern.find('=');
    if (eq == std::string::npos || eq == 0 ||
        env_pattern.find("PATTERN", eq) == std::string::npos) {
      return "timerbisect: --env " + env_pattern +
             ": expected VAR=VALUE with PATTERN in the value, e.g. --env MYTOOL_BISECT=#PATTERN";
    }
    t.pattern_var = env_pattern.substr(0, eq);
    t.pattern_value = env_pattern.substr(eq + 1);
  } else if (!o.godebug.empty()) {
    if (o.godebug.find('=') == std::string::npos) {
      return "timerbisect: --godebug " + o.godebug + ": expected NAME=VALUE, e.g. asynctimerchan=1";
    }
    t.pattern_var = "GODEBUG";
    t.pattern_value = o.godebug + "#PATTERN";
  }
  if (protocol_modes == 0) {
    ShimFlags flags{o.aspects, o.depth, o.scope, o.short_threshold, o.lag};
    if (!ShimEnvFromFlags(flags, t.shim_env, error)) return error;
    return PreflightShimTarget(t.argv, o.shell, o.shim_path, t.shim_path);
  }
  if (!o.shell) {
    std::string resolved;
    return run::ResolveCommand(t.argv[0], &resolved);
  }
  return "";
}

nlohmann::json JournalIdentity(std::string_view subcommand, const BisectOptions& o,
                               const TargetOptions& t) {
  // What decides the probes' results: the command and where it runs, the
  // environment the driver passes (shim settings, protocol variable) and
  // inherits that changes what runs, how a failure is told, and the search.
  nlohmann::json inherited = nlohmann::json::object();
  for (const char* name : {"LD_PRELOAD", "LD_LIBRARY_PATH", "GODEBUG", "TIMERBISECT_SHIM"}) {
    if (const char* value = std::getenv(name)) inherited[name] = value;
  }
  nlohmann::json shim_env = nlohmann::json::array();
  for (const auto& [name, value] : t.shim_env) shim_env.push_back(name + "=" + value);
  std::error_code ec;
  return {{"subcommand", subcommand},
          {"command", o.command},
          {"shell", o.shell},
          {"cwd", std::filesystem::current_path(ec).string()},
          {"shim", t.shim_path},
          {"shim_env", shim_env},
          {"pattern_var", t.pattern_var},
          {"pattern_value", t.pattern_value},
          {"inherited_env", inherited},
          {"timeout", o.timeout},
          {"fail_on", o.fail_on},
          {"fail_exit", o.fail_exit},
          {"count", o.count},
          {"max", o.max_sets},
          {"algorithm", o.algorithm},
          {"confidence", o.confidence},
          {"max_runs", o.max_runs}};
}

std::string OpenJournal(const std::string& path, const nlohmann::json& identity, int verbosity,
                        std::optional<run::Journal>& journal) {
  if (path.empty()) return "";
  std::string error;
  journal = run::Journal::Open(path, identity.dump(), error);
  if (!journal) return error;
  if (journal->loaded() > 0 && verbosity >= 1) {
    std::cerr << "timerbisect: resuming from " << path << " (" << journal->loaded()
              << " recorded runs)\n";
  }
  return "";
}

namespace {

// A found set reproduces: its own configuration fails and the passing
// baseline passes, `runs` more times each. A deterministic target always
// does; a flaky one that slipped through the ID split's checks usually
// does not.
bool SetsReproduce(Target& target, const search::Result& result, int runs) {
  std::string baseline = result.invert ? "y" : "n";
  for (const search::ChangeSet& set : result.sets) {
    for (int i = 0; i < runs; ++i) {
      if (!target.Run(set.pattern).verdict.failed || target.Run(baseline).verdict.failed) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

search::Result SearchTarget(Target& target, const BisectOptions& o, search::Algorithm forced,
                            bool force) {
  search::Config config;
  config.count = o.count;
  config.max_sets = o.max_sets;
  config.confidence = o.confidence;
  config.max_runs = o.max_runs;
  config.parallelism = JobsOrCores(o.jobs);
  config.batch_probe = [&target](const std::vector<std::string>& patterns) {
    std::vector<ProbeRequest> requests;
    for (const auto& p : patterns) requests.push_back({p, {}});
    std::vector<search::ProbeResult> results;
    for (const ProbeRecord& r : target.RunBatch(requests)) {
      results.push_back({r.verdict.failed, r.reported});
    }
    return results;
  };
  if (!o.quiet) {
    config.progress = [line = ProgressLine(target.uses_shim(), o.verbose)](
                          const search::ProgressEvent& e) { std::cerr << line.Format(e); };
  }
  if (force) {
    config.algorithm = forced;
    return search::Search(config, std::ref(target));
  }
  if (o.algorithm == "suffix" || o.algorithm == "id" || o.algorithm == "adaptive") {
    config.algorithm = o.algorithm == "suffix"     ? search::Algorithm::kSuffix
                       : o.algorithm == "adaptive" ? search::Algorithm::kAdaptive
                                                   : search::Algorithm::kIdSplit;
    return search::Search(config, std::ref(target));
  }
  // auto: the cheap deterministic search first; the statistical one when
  // the target shows itself flaky.
  config.algorithm = search::Algorithm::kIdSplit;
  search::Result result = search::Search(config, std::ref(target));
  if (result.outcome == search::Outcome::kNotSensitive) {
    // One run each of all-old and all-new agreed: a flaky culprit does that
    // half of the time. More runs of both before believing it.
    if (!o.quiet) {
      std::cerr << "timerbisect: all-old and all-new both "
                << (result.agreed_failing ? "failed" : "passed") << "; running each up to "
                << kAgreementRuns << " times to rule out a flaky failure\n";
    }
    search::Agreement agreement =
        search::CheckAgreement(config, std::ref(target), result.agreed_failing, kAgreementRuns);
    result.runs += agreement.runs;
    if (!agreement.flaky) {
      result.message += " (" + std::to_string(agreement.n_runs) + " runs of each)";
      return result;
    }
    result.outcome = search::Outcome::kInconclusive;
    result.message = "all-old failed " + std::to_string(agreement.n_failures) + " of " +
                     std::to_string(agreement.n_runs) + " runs, all-new " +
                     std::to_string(agreement.y_failures) + " of " +
                     std::to_string(agreement.y_runs);
  }
  if (result.outcome == search::Outcome::kFound && !o.quiet) {
    std::cerr << "timerbisect: checking that the set" << (result.sets.size() == 1 ? "" : "s")
              << " reproduce" << (result.sets.size() == 1 ? "s" : "")
              << " (2 more runs of each, and of the passing baseline)\n";
  }
  bool flaky = result.outcome == search::Outcome::kInconclusive ||
               (result.outcome == search::Outcome::kFound && !SetsReproduce(target, result, 2));
  if (!flaky) return result;
  if (!o.quiet) {
    std::string reason = result.outcome == search::Outcome::kFound
                             ? "a set it found did not fail again on a rerun, or the passing "
                               "baseline failed"
                             : result.message;
    std::cerr << "timerbisect: the target is flaky (" << reason
              << "); switching to the adaptive statistical search\n";
  }
  config.algorithm = search::Algorithm::kAdaptive;
  config.count = 1;
  return search::Search(config, std::ref(target));
}

report::BisectReport DescribeResult(Target& target, const BisectOptions& o,
                                    const search::Result& result, const ProbeRecord& native) {
  report::BisectReport rep;
  rep.command = o.command;
  rep.probes = result.probes;
  rep.message = result.message;
  switch (result.outcome) {
    case search::Outcome::kFound:
      rep.outcome = report::Outcome::kFound;
      break;
    case search::Outcome::kNotSensitive:
      rep.outcome = report::Outcome::kNotSensitive;
      break;
    case search::Outcome::kInconclusive:
      rep.outcome = report::Outcome::kInconclusive;
      break;
  }
  if (target.uses_shim() && target.reports().Ids().empty() &&
      rep.outcome != report::Outcome::kFound) {
    rep.outcome = report::Outcome::kNotSensitive;
    rep.message = "the shim was loaded but no run reached a timer site (" + native.verdict.kind +
                  " natively)";
  }
  symbolize::Symbolizer symbolizer;
  if (target.uses_shim() && !result.sets.empty() && !o.quiet) {
    std::cerr << "timerbisect: finding which aspect (stale, latency) each set needs\n";
  }
  for (const search::ChangeSet& set : result.sets) {
    report::FoundSet found;
    found.sites = DescribeSites(set.ids, target.reports(), symbolizer);
    found.reproduce = target.ReproduceCommand(set.pattern);
    // A set the deterministic searches found: every probe agreed.
    found.confidence = set.confidence > 0 ? set.confidence : 1.0;
    if (target.uses_shim()) {
      found.mode = result.invert ? "old" : "new";
      // The passing baseline: every site old ("n") when sets need new, and
      // every site new ("y") when they need old.
      found.aspects =
          AspectsThatFail(target, set.pattern, result.invert ? "y" : "n", std::max(o.count, 2));
    }
    rep.sets.push_back(std::move(found));
  }
  rep.runs = target.runs();
  return rep;
}

int FinishReport(const report::BisectReport& rep, const std::string& json_path) {
  // With --json - the JSON is standard output, and the text goes to stderr.
  (json_path == "-" ? std::cerr : std::cout) << report::FormatText(rep);
  if (!WriteOutput("--json", json_path, report::ToJson(rep).dump(2) + "\n")) return kExitUsage;
  return report::ExitCode(rep);
}

int RunBisect(const BisectOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  // 1. Validate everything before the first probe.
  TargetOptions t;
  std::optional<run::FailureClassifier> classifier;
  if (std::string error = PrepareTarget(o, t, classifier); !error.empty()) return UsageError(error);
  if (std::string error = CheckOutputPath("--json", o.json_path); !error.empty()) {
    return UsageError(error);
  }
  std::optional<run::Journal> journal;
  if (std::string error =
          OpenJournal(o.journal_path, JournalIdentity("bisect", o, t), t.verbosity, journal);
      !error.empty()) {
    return UsageError(error);
  }

  // 2. Search, with progress on stderr and Ctrl-C stopping every probe.
  run::InterruptGuard interrupt_guard;
  std::unique_ptr<run::Launcher> launcher;
  if (std::string error = MakeLauncher(o.launcher, t.shim_path, t.verbosity, launcher);
      !error.empty()) {
    return UsageError(error);
  }
  Target target(t, *launcher, *classifier, journal ? &*journal : nullptr);
  ProbeRecord native = target.Run("");
  if (!target.start_error().empty()) return UsageError(target.start_error());
  if (t.verbosity >= 1) std::cerr << "timerbisect: native run: " << native.verdict.kind << "\n";
  search::Result result = SearchTarget(target, o);
  if (!target.start_error().empty()) return UsageError(target.start_error());
  if (target.uses_shim()) {
    if (std::string error = ShimNotReachedError(target.reports()); !error.empty()) {
      return UsageError(error);
    }
  }

  // 3. Describe the answer.
  report::BisectReport rep = DescribeResult(target, o, result, native);
  rep.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return FinishReport(rep, o.json_path);
}

}  // namespace timerbisect::cmd
