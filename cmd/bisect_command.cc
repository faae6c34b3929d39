#include "bisect_command.h"

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>

#include "preflight.h"
#include "protocol/duration.h"
#include "protocol/matcher.h"
#include "report/bisect_report.h"
#include "run/interrupt.h"
#include "run/local_launcher.h"
#include "run/preflight.h"
#include "search/search.h"
#include "site_frames.h"
#include "symbolize/symbolizer.h"
#include "target.h"

namespace timerbisect::cmd {
namespace {

constexpr int kExitUsage = report::kExitUsage;

int UsageError(const std::string& message) {
  std::cerr << message << "\n";
  return kExitUsage;
}

std::string Shorten(const std::string& s, std::size_t max) {
  return s.size() <= max ? s : s.substr(0, max - 3) + "...";
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
  app.add_flag("--shell", o.shell, "Run the command through /bin/sh -c");
  app.add_option("--timeout", o.timeout,
                 "Kill a probe after this long (e.g. 30s, 2m); it counts as a failure of kind "
                 "timeout");
  app.add_option("--fail-on", o.fail_on, "Only output matching this re2 regex is the failure");
  app.add_option("--fail-exit", o.fail_exit, "Only these exit codes are the failure")
      ->delimiter(',');
  app.add_option("--count", o.count, "Runs per probe; they must agree")->check(CLI::Range(1, 1000));
  app.add_option("--max", o.max_sets, "Stop after this many sets (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--algorithm", o.algorithm, "id (default) or suffix (Go bisect's)")
      ->check(CLI::IsMember({"id", "suffix"}));
  app.add_option("--json", o.json_path, "Also write the result as JSON to this file");
  app.add_option("--journal", o.journal_path,
                 "Record every probe in this file; rerun with the same file to resume");
  app.add_option("--shim", o.shim_path, "libtimerbisect.so to preload (default: found beside us)");
  app.add_option("--env", o.env_pattern,
                 "Bisect a protocol target: VAR=VALUE#PATTERN sets VAR=VALUE#<pattern>");
  app.add_option("--godebug", o.godebug, "Bisect a Go program's GODEBUG setting NAME=VALUE");
  app.add_option("--aspects", o.aspects, "Shim aspects: stale,latency (default both)");
  app.add_option("--depth", o.depth, "Frames per site ID (default 16)");
  app.add_option("--scope", o.scope, "re2 regex: only sites with a matching frame count");
  app.add_option("--short", o.short_threshold, "Latency aspect: short timer threshold (50us)");
  app.add_option("--lag", o.lag, "Latency aspect: how late old mode sees short timers (1ms)");
  app.add_flag("-q,--quiet", o.quiet, "No progress on stderr");
  app.add_flag("-v,--verbose", o.verbose, "Show every probe's output on stderr");
}

int RunBisect(const BisectOptions& o) {
  // 1. Validate everything before the first probe.
  if (o.command.empty()) {
    return UsageError("timerbisect: no command; usage: timerbisect [flags] -- CMD ARGS...");
  }
  TargetOptions t;
  t.argv = o.command;
  t.shell = o.shell;
  t.verbosity = o.quiet ? 0 : (o.verbose ? 2 : 1);
  std::int64_t timeout_ns = 0;
  if (!protocol::ParseDuration(o.timeout, timeout_ns)) {
    return UsageError("timerbisect: --timeout " + o.timeout +
                      ": expected a duration such as 30s or 2m");
  }
  t.timeout = std::chrono::milliseconds(timeout_ns / 1'000'000);
  std::string error;
  auto classifier = run::FailureClassifier::Make({o.fail_on, o.fail_exit}, &error);
  if (!classifier) return UsageError(error);

  bool argv_pattern = false;
  for (const auto& word : o.command) argv_pattern |= word.find("PATTERN") != std::string::npos;
  int protocol_modes = !o.env_pattern.empty() + !o.godebug.empty() + argv_pattern;
  if (protocol_modes > 1) {
    return UsageError("timerbisect: use only one of --env, --godebug and PATTERN in the command");
  }
  if (!o.env_pattern.empty()) {
    auto eq = o.env_pattern.find('='), hash = o.env_pattern.rfind("#PATTERN");
    if (eq == std::string::npos || eq == 0 || hash == std::string::npos ||
        hash + 8 != o.env_pattern.size()) {
      return UsageError("timerbisect: --env " + o.env_pattern +
                        ": expected VAR=VALUE#PATTERN, e.g. --env MYTOOL_BISECT=#PATTERN");
    }
    t.pattern_var = o.env_pattern.substr(0, eq);
    t.pattern_prefix = o.env_pattern.substr(eq + 1, hash + 1 - eq - 1);
  } else if (!o.godebug.empty()) {
    if (o.godebug.find('=') == std::string::npos) {
      return UsageError("timerbisect: --godebug " + o.godebug +
                        ": expected NAME=VALUE, e.g. asynctimerchan=1");
    }
    t.pattern_var = "GODEBUG";
    t.pattern_prefix = o.godebug + "#";
  }
  bool shim_mode = protocol_modes == 0;
  if (shim_mode) {
    ShimFlags flags{o.aspects, o.depth, o.scope, o.short_threshold, o.lag};
    if (!ShimEnvFromFlags(flags, t.shim_env, error)) return UsageError(error);
    error = PreflightShimTarget(o.command, o.shell, o.shim_path, t.shim_path);
    if (!error.empty()) return UsageError(error);
  } else if (!o.shell) {
    std::string resolved;
    if (error = run::ResolveCommand(o.command[0], &resolved); !error.empty()) {
      return UsageError(error);
    }
  }

  // 2. Search, with progress on stderr and Ctrl-C stopping every probe.
  std::optional<run::Journal> journal;
  if (!o.journal_path.empty()) {
    journal = run::Journal::Open(o.journal_path, error);
    if (!journal) return UsageError(error);
    if (journal->loaded() > 0 && t.verbosity >= 1) {
      std::cerr << "timerbisect: resuming from " << o.journal_path << " (" << journal->loaded()
                << " recorded runs)\n";
    }
  }
  run::InterruptGuard interrupt_guard;
  run::LocalLauncher launcher;
  Target target(t, launcher, *classifier, journal ? &*journal : nullptr);
  ProbeRecord native = target.Run("");
  if (!target.start_error().empty()) return UsageError(target.start_error());
  if (t.verbosity >= 1) {
    std::cerr << "timerbisect: native run: " << native.verdict.kind << "\n";
  }

  search::Config config;
  config.algorithm =
      o.algorithm == "suffix" ? search::Algorithm::kSuffix : search::Algorithm::kIdSplit;
  config.count = o.count;
  config.max_sets = o.max_sets;
  if (t.verbosity >= 1) {
    config.progress = [](const search::ProgressEvent& e) {
      std::cerr << "timerbisect: probe " << e.probe << " " << Shorten(e.pattern, 48) << " "
                << (e.failed ? "FAIL" : "ok") << " (sites in play " << e.sites_in_play << ", ~"
                << e.estimated_probes_left << " probes left)\n";
    };
  }
  search::Result result = search::Search(config, std::ref(target));
  if (!target.start_error().empty()) return UsageError(target.start_error());

  // 3. Describe the answer.
  report::BisectReport rep;
  rep.command = o.command;
  rep.probes = result.probes;
  rep.runs = target.runs();
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
  if (shim_mode && target.reports().Ids().empty()) {
    if (!target.reports().shim_announced()) {
      return UsageError(
          "timerbisect: the shim was never loaded in any run; does the command clear the "
          "environment (env -i, sudo) or run a static or setuid program?");
    }
    if (rep.outcome != report::Outcome::kFound) {
      rep.outcome = report::Outcome::kNotSensitive;
      rep.message = "the shim was loaded but no run reached a timer site (" + native.verdict.kind +
                    " natively)";
    }
  }
  symbolize::Symbolizer symbolizer;
  for (const search::ChangeSet& set : result.sets) {
    report::FoundSet found;
    found.sites = DescribeSites(set.ids, target.reports(), symbolizer);
    found.reproduce = target.ReproduceCommand(set.pattern);
    if (shim_mode) {
      found.mode = result.invert ? "old" : "new";
      // The passing baseline: every site old ("n") when sets need new, and
      // every site new ("y") when they need old.
      found.aspects =
          AspectsThatFail(target, set.pattern, result.invert ? "y" : "n", std::max(o.count, 2));
    }
    rep.sets.push_back(std::move(found));
  }
  rep.runs = target.runs();

  std::cout << report::FormatText(rep);
  if (!o.json_path.empty()) {
    std::ofstream json(o.json_path);
    json << report::ToJson(rep).dump(2) << "\n";
    if (!json) {
      std::cerr << "timerbisect: cannot write --json " << o.json_path << "\n";
      return kExitUsage;
    }
  }
  return report::ExitCode(rep);
}

}  // namespace timerbisect::cmd
