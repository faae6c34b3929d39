#include "session.h"

#include <sys/stat.h>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "output_file.h"
#include "preflight.h"
#include "preload.h"
#include "progress_line.h"
#include "run/preflight.h"
#include "search/auto_search.h"
#include "search/run_pool.h"
#include "site_frames.h"
#include "symbolize/symbolizer.h"
#include "timeout_flag.h"

namespace timerbisect::cmd {
namespace {

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

// VAR=VALUE words before the command that name the driver's own variables
// are read as their exported forms are (a reproduce line pasted after
// `timerbisect --` starts with TIMERSEM=... LD_PRELOAD=...; given to the
// command as they were, they won over the driver's and every probe ran the
// same configuration): TIMERSEM and TIMERSEM_REPORT are the driver's in
// every run and are left out, the shim's settings go into the driver's
// environment to be taken as their flags, and LD_PRELOAD's libraries
// follow the shim. Returns that LD_PRELOAD, if a word gave one.
std::optional<std::string> TakeDriverVariables(EnvList& command_env, bool quiet,
                                               std::vector<std::string>& tuning_words) {
  std::optional<std::string> preload;
  std::string left_out;
  std::erase_if(command_env, [&](const std::pair<std::string, std::string>& kv) {
    const std::string& name = kv.first;
    if (name == "TIMERSEM" || name == "TIMERSEM_REPORT") {
      left_out += (left_out.empty() ? "" : ", ") + name + "=" + kv.second;
      return true;
    }
    if (name == "LD_PRELOAD") {
      preload = kv.second;
      return true;
    }
    if (IsShimSettingVariable(name)) {
      setenv(name.c_str(), kv.second.c_str(), 1);
      tuning_words.push_back(name);
      return true;
    }
    return false;
  });
  if (!left_out.empty() && !quiet) {
    std::cerr << "timerbisect: leaving out " << left_out
              << " before the command: the driver sets them in every run\n";
  }
  return preload;
}

// The target's options from the session's: every error found, not the first.
// `shim_only`: the subcommand cannot take a protocol target.
Errors PrepareTarget(std::string_view subcommand, const SessionOptions& o, bool shim_only,
                     TargetOptions& t, std::optional<run::FailureClassifier>& classifier) {
  Errors errors;
  const std::string usage =
      "timerbisect " + (subcommand == "bisect" ? std::string() : std::string(subcommand) + " ") +
      "[flags] -- ";
  if (o.command.empty()) return {"timerbisect: no command; usage: " + usage + "CMD ARGS..."};
  t.shell = o.shell;
  t.verbosity = o.quiet ? 0 : (o.verbose ? 2 : 1);
  t.max_in_flight = JobsOrCores(o.jobs);
  t.reproduce_launcher = ReproductionLauncher(o.launcher);
  if (auto timeout = ParseTimeoutFlag(o.timeout)) {
    t.timeout = *timeout;
  } else {
    errors.push_back(timeout.error());
  }
  if (auto made = run::FailureClassifier::Make({o.fail_on, o.fail_exit})) {
    classifier = std::move(*made);
  } else {
    errors.push_back(made.error());
  }

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
        errors.push_back("timerbisect: " + word +
                         ": only one variable can hold PATTERN (--env gives one already)");
      } else {
        env_pattern = word;
      }
    }
  }
  if (first_word == o.command.size()) {
    errors.push_back("timerbisect: no command after the variables; usage: " + usage +
                     "[VAR=VALUE...] CMD ARGS...");
    return errors;
  }
  t.argv.assign(o.command.begin() + static_cast<std::ptrdiff_t>(first_word), o.command.end());

  bool argv_pattern = false;
  for (const auto& word : t.argv) argv_pattern |= word.find("PATTERN") != std::string::npos;
  int protocol_modes = !env_pattern.empty() + !o.godebug.empty() + argv_pattern;
  if (protocol_modes > 0 && shim_only) {
    errors.push_back("timerbisect: " + std::string(subcommand) +
                     " measures timer semantics through the shim; --env, --godebug and PATTERN "
                     "are for bisect");
    return errors;
  }
  if (protocol_modes > 1) {
    errors.push_back(
        "timerbisect: use only one of --env, --godebug, a VAR=...PATTERN... word and PATTERN in "
        "the command");
    return errors;
  }
  if (!env_pattern.empty()) {
    auto eq = env_pattern.find('=');
    // IsAssignment: a variable name a shell could set ("A B=..." was taken).
    if (!IsAssignment(env_pattern) || env_pattern.find("PATTERN", eq) == std::string::npos) {
      errors.push_back("timerbisect: --env " + env_pattern +
                       ": expected VAR=VALUE with PATTERN in the value, e.g. --env "
                       "MYTOOL_BISECT=#PATTERN");
    } else {
      t.pattern_var = env_pattern.substr(0, eq);
      t.pattern_value = env_pattern.substr(eq + 1);
    }
  } else if (!o.godebug.empty()) {
    if (o.godebug.find('=') == std::string::npos || o.godebug.front() == '=') {
      errors.push_back("timerbisect: --godebug " + o.godebug +
                       ": expected NAME=VALUE, e.g. asynctimerchan=1");
    } else {
      t.pattern_var = "GODEBUG";
      t.pattern_value = o.godebug + "#PATTERN";
    }
  }
  if (protocol_modes == 0) {
    std::vector<std::string> tuning_words;
    std::optional<std::string> word_preload =
        TakeDriverVariables(t.command_env, o.quiet, tuning_words);
    ShimFlags flags{
        o.aspects,   o.depth, o.scope, o.short_threshold, o.lag, {}, subcommand != "sites",
        tuning_words};
    auto taken = AdoptInheritedShimSettings(flags);
    if (!taken) {
      errors.push_back(taken.error());
      return errors;
    }
    if (auto env = ShimEnvFromFlags(flags)) {
      t.shim_env.insert(t.shim_env.end(), env->begin(), env->end());
      if (std::string note = ShortAboveLagNote(flags);
          !note.empty() && !o.quiet && subcommand != "sites") {
        std::cerr << note << "\n";
      }
      if (!taken->empty() && !o.quiet) {
        std::string list;
        for (const std::string& one : *taken) list += (list.empty() ? "" : ", ") + one;
        std::cerr << "timerbisect: taking the shim's settings in the environment as their flags: "
                  << list << "\n";
      }
    } else {
      errors.push_back(env.error());
    }
    if (auto shim = PreflightShimTarget(t.argv, o.shell, o.shim_path)) {
      t.shim_path = *shim;
      t.preload = word_preload ? PreloadForRuns(*shim, *word_preload) : PreloadForRuns(*shim);
    } else {
      errors.push_back(shim.error());
    }
  } else if (!o.shell) {
    if (auto resolved = run::ResolveCommand(t.argv[0]); !resolved) {
      errors.push_back(resolved.error());
    }
  }
  return errors;
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
// With --count N every one of N tries must show it. By default the failing
// configuration must fail kAspectFailures times before it passes
// kAspectPasses times (and the baseline pass, once, after its first
// failure): the native half of a configuration can fail now and then on a
// busy machine (a late wakeup), so one failure is no proof, and one pass no
// disproof. Measured on the examples with two busy loops on the 2 cores,
// 12 runs each: every aspect that makes its set fail did so 12 times in 12;
// the others failed up to 2 times in 12 (sleep_ordering's stale, asio's),
// which named them with one failure in 3 tries in about a third of the
// searches, and with 3 before 2 passes in about 1 in 100.
// Only for sets a deterministic search found: on a flaky target a few runs
// of a configuration tell nothing, and enough runs to tell would cost more
// than the search did.
constexpr int kAspectFailures = 3;
constexpr int kAspectPasses = 2;

// `tell(aspect, implicated, runs)` after each aspect: progress for a person
// watching (these runs take as long as the test).
using AspectTeller = std::function<void(const char* aspect, bool implicated, int runs)>;

std::vector<std::string> AspectsThatFail(Target& target, const std::string& pattern,
                                         const std::string& baseline, int count,
                                         const AspectTeller& tell) {
  std::vector<std::string> aspects;
  for (const char* aspect : {"stale", "latency"}) {
    EnvList only = {{"TIMERSEM_ASPECTS", aspect}};
    const int runs_before = target.runs();
    bool implicated = false;
    if (count > 1) {
      implicated = true;
      for (int i = 0; i < count && implicated; ++i) {
        implicated =
            target.Run(pattern, only).verdict.failed && !target.Run(baseline, only).verdict.failed;
      }
    } else {
      int failures = 0, passes = 0;
      bool baseline_failed = false;
      while (failures < kAspectFailures && passes < kAspectPasses && !baseline_failed) {
        if (!target.Run(pattern, only).verdict.failed) {
          ++passes;
          continue;
        }
        // The baseline failing too is the aspect's native behaviour
        // failing: no try changes that.
        if (++failures == 1) baseline_failed = target.Run(baseline, only).verdict.failed;
      }
      implicated = failures == kAspectFailures && !baseline_failed;
    }
    if (implicated) aspects.push_back(aspect);
    if (tell) tell(aspect, implicated, target.runs() - runs_before);
  }
  return aspects;
}

}  // namespace

std::string NoSiteInScope(const std::string& scope) {
  return "no timer site matched " + (scope.empty() ? "TIMERSEM_SCOPE" : "--scope " + scope) +
         ": the runs reached timer sites, but none with a frame whose module path or function "
         "name (as in the symbol table) matches it; an inlined function has no symbol of its own, "
         "so match the one it was inlined into";
}

int JobsOrCores(int jobs) {
  if (jobs > 0) return jobs;
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

nlohmann::json JournalIdentity(std::string_view subcommand, const SessionOptions& o,
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
  nlohmann::json identity = {{"subcommand", subcommand},
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
  // Only when set, so journals written before --maxset existed still resume.
  if (o.max_set_size > 0) identity["maxset"] = o.max_set_size;
  // The program run, by size and modification time: rebuilt, its sites are
  // other sites (their offsets moved), so recorded probes no longer apply.
  // Only the command's own executable: what a runner (ctest, a script)
  // starts in turn is not looked at.
  if (!o.shell && !t.argv.empty()) {
    struct stat st {};
    if (auto program = run::ResolveCommand(t.argv[0]);
        program && stat(program->c_str(), &st) == 0) {
      identity["program"] = {
          {"path", *program},
          {"size", static_cast<std::int64_t>(st.st_size)},
          {"mtime_ns",
           static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec}};
    }
  }
  return identity;
}

Expected<std::unique_ptr<Session>> Session::Open(std::string_view subcommand,
                                                 const SessionOptions& options,
                                                 run::Launcher& launcher,
                                                 const SessionChecks& checks) {
  std::unique_ptr<Session> s(new Session());
  s->started_ = std::chrono::steady_clock::now();
  s->options_ = options;
  std::optional<run::FailureClassifier> classifier;
  Errors errors =
      PrepareTarget(subcommand, options, checks.shim_only, s->target_options_, classifier);
  std::vector<std::string> stdout_outputs;
  for (const auto& [flag, path] : checks.output_paths) {
    if (auto writable = CheckOutputPath(flag.c_str(), path); !writable) {
      errors.push_back(writable.error());
    }
    if (path == "-") stdout_outputs.push_back(flag);
  }
  // Two outputs (or an output and the journal) in one file: one would
  // overwrite or corrupt the other.
  std::vector<std::pair<std::string, std::string>> files = checks.output_paths;
  files.emplace_back("--journal", options.journal_path);
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (std::size_t j = i + 1; j < files.size(); ++j) {
      const auto& [flag_a, a] = files[i];
      const auto& [flag_b, b] = files[j];
      if (a.empty() || b.empty() || a == "-" || b == "-") continue;
      std::error_code ec_a, ec_b;
      auto canonical = [](const std::string& path, std::error_code& ec) {
        return std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
      };
      if (canonical(a, ec_a) == canonical(b, ec_b) && !ec_a && !ec_b) {
        errors.push_back("timerbisect: " + flag_a + " and " + flag_b + " both name " + a +
                         "; give each its own file");
      }
    }
  }
  if (stdout_outputs.size() > 1) {
    errors.push_back("timerbisect: " + stdout_outputs[0] + " - and " + stdout_outputs[1] +
                     " - cannot both be standard output");
  }
  if (!errors.empty()) return Expected<std::unique_ptr<Session>>::Fail(std::move(errors));
  if (!options.journal_path.empty()) {
    nlohmann::json identity = JournalIdentity(subcommand, options, s->target_options_);
    for (const auto& [key, value] : checks.identity_extra.items()) identity[key] = value;
    // As text, with bytes that are not UTF-8 replaced: the journal parses it
    // back, so what it compares (and prints) is what its header line holds.
    auto journal =
        run::Journal::Open(options.journal_path,
                           identity.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!journal) return Expected<std::unique_ptr<Session>>::Fail({journal.error()});
    s->journal_ = std::move(*journal);
    if (s->journal_->loaded() > 0 && s->verbosity() >= 1) {
      std::cerr << "timerbisect: resuming from " << options.journal_path << " ("
                << s->journal_->loaded() << " recorded runs)\n";
    }
  }
  s->target_ = std::make_unique<Target>(s->target_options_, launcher, *classifier,
                                        s->journal_ ? &*s->journal_ : nullptr);
  return s;
}

void Session::SayFirstRunsStarted(const std::string& what) const {
  if (verbosity() < 1) return;
  const TimeoutFlag& flag = target_options_.timeout;
  std::cerr << "timerbisect: " << what << " started; "
            << (flag.kind == TimeoutFlag::Kind::kNone
                    ? std::string("no timeout")
                    : "stopped after " + FormatTimeout(FirstRunTimeout(flag)) +
                          (flag.kind == TimeoutFlag::Kind::kDefault ? " (--timeout sets it)" : ""))
            << "\n";
}

std::string Session::NativeVerdictText(const run::Verdict& verdict) const {
  // Under --fail-on or --fail-exit, "exit 1" alone did not say whether it
  // was the failure chased (audit 28).
  if (options_.fail_on.empty() && options_.fail_exit.empty()) return verdict.kind;
  if (verdict.failed) return "FAIL, the failure chased (" + verdict.kind + ")";
  return verdict.kind == "pass" ? "pass" : "ok: " + verdict.kind + ", not the failure chased";
}

ProbeRecord Session::RunNative() {
  SayFirstRunsStarted("native run (the command with its timers untouched)");
  ProbeRecord native = target_->Run("");
  if (verbosity() >= 1 && target_->start_error().empty()) {
    std::cerr << "timerbisect: native run: " << NativeVerdictText(native.verdict)
              << (native.replayed ? " (from the journal, not run again)" : "") << "\n";
  }
  return native;
}

std::string Session::NativeRunError() const {
  if (!target_->start_error().empty()) return target_->start_error();
  if (!target_->native_error().empty()) return target_->native_error();
  if (target_->uses_shim() && target_->asan_refused_preload()) return AsanRefusedPreloadError();
  // Once all-old and all-new ran too (three runs: a program may reach its
  // sites in one mode only).
  if (target_->uses_shim() && target_->reports().shim_announced() && target_->runs() >= 3) {
    return ShimDroppedError(target_->reports());
  }
  return "";
}

std::string Session::RunError() const {
  if (std::string error = NativeRunError(); !error.empty()) return error;
  if (target_->uses_shim() && !target_->reports().shim_announced() &&
      target_->every_run_timed_out()) {
    return "timerbisect: every run was stopped by the timeout (" +
           FormatTimeout(target_->timeout()) +
           ") before the shim said it had loaded; raise --timeout";
  }
  if (target_->uses_shim()) return ShimNotReachedError(target_->reports());
  // A protocol target reports the changes a pattern matches; one that
  // reported none in every run never saw the pattern (a misspelt --env
  // variable), and its runs say nothing about its changes (Go's bisect:
  // "target failed without printing any matches").
  if (target_->runs() > 1 && target_->reports().Ids().empty() && !target_->every_run_timed_out()) {
    const std::string& var = target_->pattern_var();
    return "timerbisect: no run reported a change (a [bisect-match] line): " +
           (var.empty() ? std::string("does the command read the word PATTERN where it stands?")
                        : "does the command read " + var + "?");
  }
  return "";
}

std::chrono::milliseconds Session::Elapsed() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started_);
}

namespace {

// "SIGTERM", or "signal N".
std::string SignalName(int signo) {
  const char* name = sigabbrev_np(signo);
  return name ? "SIG" + std::string(name) : "signal " + std::to_string(signo);
}

}  // namespace

std::string Session::ResumeAdvice() const {
  if (options_.journal_path.empty()) {
    return "give --journal FILE so that running the command again resumes where it stopped";
  }
  return "run the same command again to resume from " + options_.journal_path;
}

std::string Session::InterruptedMessage(int signo) const {
  return "interrupted by " + SignalName(signo) + " after " + std::to_string(target_->runs()) +
         " runs: no answer yet; " + ResumeAdvice();
}

report::BisectReport Session::InterruptedReport(int signo) const {
  report::BisectReport rep;
  bool in_search = false;
  {
    std::lock_guard lock(described_mu_);
    if (described_) rep = *described_;
    in_search = described_in_search_;
  }
  rep.interrupted = true;
  if (!rep.sets.empty() && in_search) {
    const std::size_t n = rep.sets.size();
    rep.message = "interrupted by " + SignalName(signo) + " after " +
                  std::to_string(target_->runs()) +
                  " runs, while searching for a further set: " + std::to_string(n) +
                  (n == 1 ? " set" : " sets") +
                  " found and confirmed so far, and there may be more; " + ResumeAdvice();
  } else if (!rep.sets.empty()) {
    rep.message = "interrupted by " + SignalName(signo) +
                  " while finding which aspect each set needs: the sets stand (the search and "
                  "its checks had ended); an aspect not yet found is left out";
  } else {
    rep.outcome = search::Outcome::kInconclusive;
    rep.message = InterruptedMessage(signo);
  }
  rep.command = options_.command;
  rep.runs = target_->runs();
  rep.duration = Elapsed();
  return rep;
}

search::Result Session::Search(const std::vector<ProbeRecord>& earlier,
                               std::optional<search::Algorithm> forced) {
  Target& target = *target_;
  const SessionOptions& o = options_;
  search::Config config;
  config.count = o.count;
  config.max_sets = o.max_sets;
  config.max_set_size = o.max_set_size;
  config.confidence = o.confidence;
  config.max_runs = o.max_runs;
  config.parallelism = JobsOrCores(o.jobs);
  // Room in one environment string (Linux: 128 KiB) for the pattern and
  // the rest of its variable's value.
  config.max_pattern_bytes = 120 * 1024;
  if (!o.quiet) {
    config.progress = [line = ProgressLine(target.uses_shim(), o.verbose, started_)](
                          const search::ProgressEvent& e) { std::cerr << line.Format(e); };
    config.notice = [](const std::string& line) { std::cerr << "timerbisect: " << line << "\n"; };
  }
  config.algorithm = o.algorithm == "suffix"     ? search::Algorithm::kSuffix
                     : o.algorithm == "adaptive" ? search::Algorithm::kAdaptive
                     : o.algorithm == "id"       ? search::Algorithm::kIdSplit
                                                 : search::Algorithm::kAuto;
  if (forced) config.algorithm = *forced;
  search::RunPool pool([this, &target](const std::vector<std::string>& patterns) {
    std::vector<search::ProbeResult> results;
    // Once the runs show a wrapper dropped the shim before any timer site
    // (all-old and all-new both ran without it), every further run would
    // too: the search stops (a short answer), and RunError says why.
    if (!NativeRunError().empty()) return results;
    std::vector<ProbeRequest> requests;
    for (const auto& p : patterns) requests.push_back({p, {}});
    for (const ProbeRecord& r : target.RunBatch(requests)) {
      // A probe that never started is no result: the search stops there
      // (fewer results), and RunError gives the reason instead of a verdict.
      if (!r.started) break;
      results.push_back({r.verdict.failed, r.reported, false, r.replayed});
    }
    return results;
  });
  for (const ProbeRecord& r : earlier) pool.Offer(r.pattern, {r.verdict.failed, r.reported});
  // A set settled before an interrupt is still reported (InterruptedReport).
  config.settled = [this](const search::Result& so_far) { KeepSettledSets(so_far); };
  search::Result result = config.algorithm == search::Algorithm::kAuto
                              ? search::AutoSearch(config, pool)
                              : search::Search(config, pool.probe());
  if (result.outcome != search::Outcome::kFound) {
    // A later contradiction took the sets back.
    std::lock_guard lock(described_mu_);
    described_.reset();
  }
  return result;
}

std::vector<report::FoundSet> Session::DescribeSets(const search::Result& result) {
  std::vector<report::FoundSet> sets;
  for (const search::ChangeSet& set : result.sets) {
    report::FoundSet found;
    found.sites = DescribeSites(set.ids, target_->reports(), symbolizer_);
    found.reproduction = target_->Reproduction(set.pattern);
    // A set the deterministic searches found: every probe agreed.
    found.confidence = set.confidence > 0 ? set.confidence : 1.0;
    for (const search::MeasuredRate& rate : result.rates) {
      if (rate.pattern == set.pattern && rate.runs > 0) {
        found.runs_of_set = rate.runs;
        found.failures_of_set = rate.failures;
      }
    }
    if (target_->uses_shim()) found.mode = result.invert ? "old" : "new";
    sets.push_back(std::move(found));
  }
  return sets;
}

void Session::KeepSettledSets(const search::Result& so_far) {
  report::BisectReport rep;
  rep.outcome = search::Outcome::kFound;
  rep.sets = DescribeSets(so_far);
  std::lock_guard lock(described_mu_);
  described_ = std::move(rep);
  described_in_search_ = true;
}

namespace {

// The search speaks of sites enabled and disabled (the protocol's words);
// the answer says "y" and "n" as the progress lines do (DescribePattern):
// "all sites new/old" under the shim, "all changes enabled/disabled" for a
// protocol target.
std::string InTargetWords(std::string message, bool shim) {
  const std::pair<std::string_view, std::string> words[] = {
      {"all sites enabled", DescribePattern("y", shim)},
      {"all sites disabled", DescribePattern("n", shim)}};
  for (const auto& [from, to] : words) {
    for (auto at = message.find(from); at != std::string::npos; at = message.find(from, at)) {
      message.replace(at, from.size(), to);
      at += to.size();
    }
  }
  return message;
}

}  // namespace

report::BisectReport Session::Describe(const search::Result& result, const ProbeRecord& native) {
  Target& target = *target_;
  const SessionOptions& o = options_;
  report::BisectReport rep;
  rep.command = o.command;
  rep.probes = result.probes;
  rep.message = InTargetWords(result.message, target.uses_shim());
  rep.outcome = result.outcome;
  if (target.uses_shim() && target.reports().Ids().empty() &&
      rep.outcome != search::Outcome::kFound) {
    rep.outcome = search::Outcome::kNotSensitive;
    rep.message = target.reports().reached_out_of_scope()
                      ? NoSiteInScope(o.scope) + " (" + native.verdict.kind + " natively)"
                      : "the shim was loaded but no run reached a timer site (" +
                            native.verdict.kind + " natively)";
    if (std::string linked_in =
            run::LinkedInLoopsSentence(run::FindLinkedInLoops(o.command, o.shell));
        !linked_in.empty()) {
      rep.message += "; " + linked_in;
    }
  }
  if (rep.outcome == search::Outcome::kNotSensitive && result.agreed_failing &&
      target.uses_shim() && native.verdict.kind == "pass") {
    // Passing natively rules out "fails whatever the timers do".
    // The search's count of runs, "(8 runs of each)", if it gave one.
    const auto paren = rep.message.find(" (");
    rep.outcome = search::Outcome::kInconclusive;
    rep.message =
        "the target passes natively but fails with every site old and with every "
        "site new" +
        (paren == std::string::npos ? std::string() : rep.message.substr(paren)) + "; " +
        kBothWaysAdvice;
  }
  if (rep.outcome == search::Outcome::kNotSensitive &&
      (o.algorithm == "id" || o.algorithm == "suffix") &&
      rep.message.starts_with("target passes with ")) {
    // The deterministic searches take one run of each (--count) at its word.
    const int count = std::max(o.count, 1);
    rep.message += " (" + std::to_string(count) + (count == 1 ? " run" : " runs") +
                   " of each with --algorithm " + o.algorithm +
                   "; a flaky target can pass both: the default, auto, reruns them)";
  }
  if (rep.outcome == search::Outcome::kNotSensitive && target.unchased_endings() > 0 &&
      (!o.fail_on.empty() || !o.fail_exit.empty())) {
    // A filter that matches nothing makes every target pass.
    rep.message += "; " + std::to_string(target.unchased_endings()) +
                   (target.unchased_endings() == 1 ? " run" : " runs") +
                   " ended badly (first: " + target.unchased_kind() +
                   ") in a way --fail-on/--fail-exit do not count";
  }
  if (target.uses_shim() && rep.outcome != search::Outcome::kFound) {
    if (std::string caveat = DroppedShimCaveat(target.reports()); !caveat.empty()) {
      rep.message += "; but " + caveat;
    }
  }
  // The adaptive search gives each set its confidence; the others do not.
  const bool flaky = !result.sets.empty() && result.sets.front().confidence > 0;
  if (target.uses_shim() && !result.sets.empty() && !o.quiet) {
    std::cerr << (flaky ? "timerbisect: the statistical search does not attribute aspects "
                          "(stale, latency); add TIMERSEM_ASPECTS=stale or =latency to a "
                          "reproduce line to try one\n"
                        : "timerbisect: finding which aspect (stale, latency) each set needs\n");
  }
  rep.sets = DescribeSets(result);
  if (rep.outcome == search::Outcome::kFound && rep.message.empty() && o.max_sets > 0 &&
      static_cast<int>(rep.sets.size()) >= o.max_sets) {
    rep.message = "stopped at --max " + std::to_string(o.max_sets) +
                  ": further sets were not searched for, so there may be more";
  }
  rep.runs = target.runs();
  // The aspects' runs take as long as the test's: an interrupt among them
  // still reports the sets (InterruptedReport).
  const auto keep = [this, &rep] {
    std::lock_guard lock(described_mu_);
    described_ = rep;
    described_in_search_ = false;
  };
  keep();
  if (!target.uses_shim() || flaky) return rep;
  for (std::size_t i = 0; i < rep.sets.size(); ++i) {
    AspectTeller tell;
    if (!o.quiet) {
      const std::string which =
          "set " + std::to_string(i + 1) + " of " + std::to_string(rep.sets.size());
      tell = [this, which](const char* aspect, bool implicated, int runs) {
        std::cerr << "timerbisect: aspect " << aspect << " of " << which << ": "
                  << (implicated ? "needed" : "not needed") << " (" << runs
                  << (runs == 1 ? " run" : " runs") << "); "
                  << FormatClock(std::chrono::duration_cast<std::chrono::seconds>(Elapsed()))
                  << " elapsed\n";
      };
    }
    // The passing baseline: every site old ("n") when sets need new, and
    // every site new ("y") when they need old.
    rep.sets[i].aspects = AspectsThatFail(target, result.sets[i].pattern, result.invert ? "y" : "n",
                                          std::max(o.count, 1), tell);
    rep.runs = target.runs();
    keep();
  }
  return rep;
}

}  // namespace timerbisect::cmd
