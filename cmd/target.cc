#include "target.h"

#include <deque>
#include <iostream>

#include "preflight.h"
#include "protocol/pattern.h"
#include "protocol/shim_lines.h"
#include "report/bisect_report.h"
#include "run/lines.h"

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

// Only the lines that carry information for later: markers and the shim's
// announcement (the journal keeps these, not megabytes of test output).
std::string ReportLines(const run::ProbeOutput& out) {
  std::string kept;
  for (const std::string* text : {&out.report, &out.output}) {
    run::ForEachLine(*text, [&kept](std::string_view line) {
      if (line.ends_with('\n')) line.remove_suffix(1);
      if (line.find("[bisect-match ") != std::string_view::npos ||
          protocol::IsShimStatusLine(line)) {
        kept.append(line);
        kept += '\n';
      }
    });
  }
  return kept;
}

// The setup error for a native run that exited 127 or 126, quoting the
// output's last line (the shell's or the loader's complaint).
std::string NativeExitError(const run::ProbeOutput& out) {
  std::string_view last;
  run::ForEachLine(out.output, [&last](std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) last = line;
  });
  std::string quoted(last.substr(0, 200));
  const std::string what = out.exit_code == 127
                               ? "a command that was not found or a library that is missing"
                               : "a command that could not be run";
  return "timerbisect: the command exited " + std::to_string(out.exit_code) +
         " natively, which a shell or the loader gives for " + what +
         (quoted.empty() ? std::string() : ": \"" + quoted + "\"") + "; check that it runs by hand";
}

}  // namespace

Target::Target(TargetOptions options, run::Launcher& launcher, run::FailureClassifier classifier,
               run::Journal* journal)
    : options_(std::move(options)),
      launcher_(launcher),
      classifier_(std::move(classifier)),
      journal_(journal),
      timeout_(FirstRunTimeout(options_.timeout)) {}

void Target::ScaleTimeout(const ProbeRecord& native) {
  if (timeout_scaled_ || !native.pattern.empty()) return;
  timeout_scaled_ = true;
  if (options_.timeout.kind != TimeoutFlag::Kind::kDefault) return;
  bool native_timed_out = native.verdict.kind == "timeout";
  timeout_ = native_timed_out ? FirstRunTimeout(options_.timeout)
                              : ProbeTimeout(options_.timeout, native.duration);
  if (options_.verbosity >= 1) {
    std::cerr << "timerbisect: probes are stopped after " << FormatTimeout(timeout_)
              << (native_timed_out ? " (the native run timed out)"
                                   : " (10x the native run, at least 30s)")
              << "; --timeout sets it\n";
  }
}

run::ProbeSpec Target::SpecFor(const std::string& pattern) const {
  run::ProbeSpec spec;
  spec.shell = options_.shell;
  spec.timeout = timeout_;
  for (const std::string& word : options_.argv) spec.argv.push_back(ReplacePattern(word, pattern));
  if (uses_shim()) {
    spec.env.emplace_back("LD_PRELOAD", options_.preload);
    spec.env.emplace_back("TIMERSEM", pattern.empty() ? "native" : "new#" + pattern);
    for (const auto& kv : options_.shim_env) spec.env.push_back(kv);
  } else if (!options_.pattern_var.empty()) {
    spec.env.emplace_back(options_.pattern_var, ReplacePattern(options_.pattern_value, pattern));
  }
  for (const auto& kv : options_.command_env) spec.env.push_back(kv);
  return spec;
}

std::string Target::JournalKey(const ProbeRequest& request) const {
  std::string key = request.pattern.empty() ? "native" : request.pattern;
  for (const auto& [k, v] : request.extra_env) key += " " + k + "=" + v;
  return key;
}

ProbeRecord Target::Record(const ProbeRequest& request, const run::ProbeOutput& out) {
  ++runs_;
  ProbeRecord record{request.pattern,
                     classifier_.Classify(out),
                     {},
                     std::chrono::duration_cast<std::chrono::milliseconds>(out.duration)};
  record.started = out.started;
  if (!out.started && start_error_.empty()) {
    start_error_ = out.error;
    // Linux caps one environment string at 128 KiB (MAX_ARG_STRLEN); an
    // explicit ID list over a very large number of sites can exceed it.
    constexpr std::size_t kMaxArgStrlen = 128 * 1024;
    if (request.pattern.size() + 16 >= kMaxArgStrlen) {
      start_error_ = "timerbisect: a probe's pattern is " +
                     std::to_string(request.pattern.size() / 1024) +
                     " KiB, over Linux's 128 KiB limit for one environment variable (too many "
                     "sites for explicit ID lists); rerun with --algorithm suffix" +
                     std::string(uses_shim() ? " or narrow the sites with --scope" : "");
    }
  }
  if (out.timed_out) ++timed_out_;
  if (out.started && !record.verdict.failed && record.verdict.kind != "pass" && ++unchased_ == 1) {
    unchased_kind_ = record.verdict.kind;
  }
  if (request.pattern.empty() && out.started && !out.timed_out &&
      (out.exit_code == 127 || out.exit_code == 126)) {
    native_error_ = NativeExitError(out);
  }
  // Only asked when the shim never announced itself; a run's output may be
  // megabytes, so it is not searched once the shim has.
  if (!asan_refused_preload_ && !reports_.shim_announced() &&
      out.output.find(kAsanLinkOrderError) != std::string::npos) {
    asan_refused_preload_ = true;
  }
  std::string lines = ReportLines(out);
  // Reports reach us in the report file (the shim) or in the output (other
  // protocol targets, or TIMERSEM_REPORT=stderr).
  report::ReportCollector probe_reports;
  probe_reports.Add(lines);
  for (std::uint64_t id : probe_reports.Ids()) record.reported.push_back(id);
  reports_.Add(lines);
  if (options_.verbosity >= 2) {
    std::cerr << "--- output of run " << runs_ << " (" << record.verdict.kind << ")\n"
              << out.output << (out.output.empty() || out.output.back() == '\n' ? "" : "\n")
              << "---\n";
  }
  // A run in which libasan.so refused the shim says nothing of the target;
  // once ASAN_OPTIONS allows it, a resumed search must make it again.
  if (journal_ != nullptr && out.started && !asan_refused_preload()) {
    journal_->Append({JournalKey(request), request.pattern, record.verdict.failed,
                      record.verdict.kind, record.duration, record.reported, lines, out.where});
  }
  ScaleTimeout(record);
  return record;
}

ProbeRecord Target::Replayed(const run::JournalEntry& entry) {
  ++runs_;
  ++replayed_;
  reports_.Add(entry.report);
  ProbeRecord record{
      entry.pattern, {entry.failed, entry.kind}, entry.reported, entry.duration, true};
  ScaleTimeout(record);
  return record;
}

ProbeRecord Target::Run(const std::string& pattern, const EnvList& extra_env) {
  return RunBatch({{pattern, extra_env}}).front();
}

std::vector<ProbeRecord> Target::RunBatch(const std::vector<ProbeRequest>& requests) {
  std::vector<std::optional<ProbeRecord>> records(requests.size());
  std::deque<std::pair<std::size_t, run::Launcher::Handle>> in_flight;
  const std::size_t limit = options_.max_in_flight > 0
                                ? static_cast<std::size_t>(options_.max_in_flight)
                                : requests.size();
  auto finish_oldest = [&] {
    auto [i, handle] = in_flight.front();
    in_flight.pop_front();
    records[i] = Record(requests[i], launcher_.Wait(handle));
  };
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (journal_ != nullptr) {
      if (auto entry = journal_->Replay(JournalKey(requests[i]))) {
        records[i] = Replayed(*entry);
        continue;
      }
    }
    if (in_flight.size() >= limit) finish_oldest();
    run::ProbeSpec spec = SpecFor(requests[i].pattern);
    for (const auto& kv : requests[i].extra_env) spec.env.push_back(kv);
    in_flight.emplace_back(i, launcher_.Start(spec));
  }
  while (!in_flight.empty()) finish_oldest();
  std::vector<ProbeRecord> out;
  out.reserve(records.size());
  for (auto& r : records) out.push_back(std::move(*r));
  return out;
}

report::Reproduction Target::Reproduction(const std::string& pattern) const {
  report::Reproduction r;
  if (uses_shim()) {
    // "!P" under new# means: P's sites old, all others new, i.e. old#P.
    protocol::PatternPrefix p = protocol::SplitPrefix(pattern);
    r.env.emplace_back("TIMERSEM", (p.invert ? "old#" : "new#") + std::string(p.body));
    for (const auto& kv : options_.shim_env) r.env.push_back(kv);
    r.env.emplace_back("LD_PRELOAD", options_.preload);
  } else if (!options_.pattern_var.empty()) {
    r.env.emplace_back(options_.pattern_var, ReplacePattern(options_.pattern_value, pattern));
  }
  for (const auto& kv : options_.command_env) r.env.push_back(kv);
  for (const std::string& word : options_.argv) r.argv.push_back(ReplacePattern(word, pattern));
  r.shell = options_.shell;
  r.launcher = options_.reproduce_launcher;
  return r;
}

}  // namespace timerbisect::cmd
