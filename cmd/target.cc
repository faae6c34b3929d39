#include "target.h"

#include <iostream>

#include "report/bisect_report.h"

namespace timerbisect::cmd {
namespace {

constexpr std::string_view kPatternWord = "PATTERN";

std::string ReplacePattern(std::string word, const std::string& pattern) {
  for (auto at = word.find(kPatternWord); at != std::string::npos;
       at = word.find(kPatternWord, at + pattern.size())) {
    word.replace(at, kPatternWord.size(), pattern);
  }
  return word;
}

}  // namespace

Target::Target(TargetOptions options, run::Launcher& launcher, run::FailureClassifier classifier)
    : options_(std::move(options)), launcher_(launcher), classifier_(std::move(classifier)) {}

run::ProbeSpec Target::SpecFor(const std::string& pattern) const {
  run::ProbeSpec spec;
  spec.shell = options_.shell;
  spec.timeout = options_.timeout;
  for (const std::string& word : options_.argv) spec.argv.push_back(ReplacePattern(word, pattern));
  if (uses_shim()) {
    spec.env.emplace_back("LD_PRELOAD", options_.shim_path);
    spec.env.emplace_back("TIMERSEM", pattern.empty() ? "native" : "new#" + pattern);
    for (const auto& kv : options_.shim_env) spec.env.push_back(kv);
  } else if (!options_.pattern_var.empty()) {
    spec.env.emplace_back(options_.pattern_var, options_.pattern_prefix + pattern);
  }
  return spec;
}

ProbeRecord Target::Run(const std::string& pattern,
                        const std::vector<std::pair<std::string, std::string>>& extra_env) {
  run::ProbeSpec spec = SpecFor(pattern);
  for (const auto& kv : extra_env) spec.env.push_back(kv);
  run::ProbeOutput out = run::RunProbe(launcher_, spec);
  ++runs_;
  ProbeRecord record{pattern, classifier_.Classify(out), {}};
  if (!out.started && start_error_.empty()) start_error_ = out.error;
  // Reports reach us in the report file (the shim) or in the output (other
  // protocol targets, or TIMERSEM_REPORT=stderr).
  report::ReportCollector probe_reports;
  probe_reports.Add(out.report);
  probe_reports.Add(out.output);
  for (std::uint64_t id : probe_reports.Ids()) record.reported.push_back(id);
  reports_.Add(out.report);
  reports_.Add(out.output);
  if (options_.verbosity >= 2) {
    std::cerr << "--- output of run " << runs_ << " (" << record.verdict.kind << ")\n"
              << out.output << (out.output.empty() || out.output.back() == '\n' ? "" : "\n")
              << "---\n";
  }
  return record;
}

search::ProbeResult Target::operator()(const std::string& pattern) {
  ProbeRecord r = Run(pattern);
  return {r.verdict.failed, r.reported};
}

std::string Target::ReproduceCommand(const std::string& pattern) const {
  std::string line;
  if (uses_shim()) {
    // "!P" under new# means: P's sites old, all others new, i.e. old#P.
    std::string p = pattern;
    while (!p.empty() && p[0] == 'v') p.erase(0, 1);
    std::string mode = "new";
    if (!p.empty() && p[0] == '!') {
      p.erase(0, 1);
      mode = "old";
    }
    line = "TIMERSEM=" + report::ShellQuote(mode + "#" + p);
    for (const auto& [k, v] : options_.shim_env) line += " " + k + "=" + report::ShellQuote(v);
    line += " LD_PRELOAD=" + report::ShellQuote(options_.shim_path);
  } else if (!options_.pattern_var.empty()) {
    line = options_.pattern_var + "=" + report::ShellQuote(options_.pattern_prefix + pattern);
  }
  for (const std::string& word : options_.argv) {
    if (!line.empty()) line += ' ';
    line += options_.shell ? word : report::ShellQuote(ReplacePattern(word, pattern));
  }
  return line;
}

}  // namespace timerbisect::cmd
