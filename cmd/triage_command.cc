#include "triage_command.h"

#include <unistd.h>

#include "output_file.h"
#include "preflight.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "run/interrupt.h"
#include "stats/compare.h"
#include "stats/rate.h"

namespace timerbisect::cmd {
namespace {

// The three configurations: the shim inert, every site old ("n" under
// new#: every site disabled), every site new ("y").
struct Config {
  const char* name;
  const char* pattern;
  stats::Counts counts;
};

enum class Sensitivity { kUnderNew, kUnderOld, kNotSensitive, kInconclusive };

struct Triage {
  Config configs[3] = {{"native", "", {}}, {"all-old", "n", {}}, {"all-new", "y", {}}};
  Sensitivity verdict = Sensitivity::kInconclusive;
  double confidence = 0;   // posterior of the verdict
  int runs_to_settle = 0;  // when inconclusive: more runs per configuration, -1 unknown
  bool reached_sites = true;
  std::chrono::milliseconds duration{0};  // the whole triage
};

const char* VerdictText(Sensitivity s) {
  switch (s) {
    case Sensitivity::kUnderNew:
      return "timer-sensitive: it fails more often when timers have new semantics";
    case Sensitivity::kUnderOld:
      return "timer-sensitive: it fails more often when timers have old semantics";
    case Sensitivity::kNotSensitive:
      return "not timer-sensitive: its failure rate does not depend on timer semantics";
    case Sensitivity::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

const char* VerdictWord(Sensitivity s) {
  switch (s) {
    case Sensitivity::kUnderNew:
      return "sensitive-under-new";
    case Sensitivity::kUnderOld:
      return "sensitive-under-old";
    case Sensitivity::kNotSensitive:
      return "not-timer-sensitive";
    case Sensitivity::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

// Runs rounds of all three configurations (`jobs` runs in flight) until old
// and new are told apart or shown the same at the confidence asked.
Triage MeasureRates(Target& target, const TriageOptions& o) {
  Triage t;
  stats::CompareOptions compare;
  compare.confidence = o.bisect.confidence;
  int per_round = std::max(1, JobsOrCores(o.bisect.jobs) / 3);
  constexpr int kMinRuns = 3;
  const bool on_terminal = isatty(STDERR_FILENO) == 1;
  while (true) {
    std::vector<ProbeRequest> requests;
    for (const Config& c : t.configs) {
      for (int i = 0; i < per_round; ++i) requests.push_back({c.pattern, {}});
    }
    std::vector<ProbeRecord> records = target.RunBatch(requests);
    for (std::size_t i = 0; i < records.size(); ++i) {
      stats::Counts& c = t.configs[i / static_cast<std::size_t>(per_round)].counts;
      c.runs += 1;
      c.failures += records[i].verdict.failed ? 1 : 0;
    }
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
                << static_cast<long long>(new_counts.runs) << (on_terminal ? "" : "\n")
                << std::flush;
    }
    bool enough = old_counts.runs >= kMinRuns;
    if (enough && cmp.verdict == stats::Verdict::kBHigher) {
      t.verdict = Sensitivity::kUnderNew;
      t.confidence = cmp.p_b_higher;
    } else if (enough && cmp.verdict == stats::Verdict::kAHigher) {
      t.verdict = Sensitivity::kUnderOld;
      t.confidence = cmp.p_a_higher;
    } else if (enough && cmp.verdict == stats::Verdict::kSame) {
      t.verdict = Sensitivity::kNotSensitive;
      t.confidence = cmp.p_same;
    } else if (old_counts.runs >= o.budget) {
      t.verdict = Sensitivity::kInconclusive;
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

std::string RatesText(const Triage& t, double confidence) {
  std::ostringstream out;
  for (const Config& c : t.configs) {
    stats::Interval ci = stats::WilsonInterval(c.counts, confidence);
    char line[160];
    std::snprintf(line, sizeof line, "  %-8s %3.0f/%-3.0f runs failed   rate %.2f  [%.2f, %.2f]\n",
                  c.name, c.counts.failures, c.counts.runs,
                  c.counts.runs > 0 ? c.counts.failures / c.counts.runs : 0.0, ci.low, ci.high);
    out << line;
  }
  char line[200];
  std::snprintf(line, sizeof line, "  (intervals: %.0f%% Wilson)\nverdict: %s (posterior %.3f)",
                confidence * 100, VerdictText(t.verdict), t.confidence);
  out << line;
  if (t.verdict == Sensitivity::kInconclusive) {
    out << "; "
        << (t.runs_to_settle > 0
                ? "about " + std::to_string(t.runs_to_settle) +
                      " more runs per configuration would settle it (raise --budget)"
                : std::string("more runs would be needed than can be estimated"));
  }
  if (!t.reached_sites) out << "; no run reached a timer site";
  out << "\n";
  return out.str();
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// One test case per configuration (failed if any run failed) and one for
// the verdict (failed when the test is timer-sensitive), with the whole
// text report as system-out.
std::string JUnit(const Triage& t, const std::string& text, const report::BisectReport* rep) {
  std::ostringstream x;
  int failures = 0;
  for (const Config& c : t.configs) failures += c.counts.failures > 0;
  bool sensitive = t.verdict == Sensitivity::kUnderNew || t.verdict == Sensitivity::kUnderOld;
  failures += sensitive;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuite name=\"timerbisect-triage\" tests=\"4\" failures=\"" << failures << "\">\n";
  for (const Config& c : t.configs) {
    x << "  <testcase classname=\"timerbisect.triage\" name=\"" << c.name << "\">";
    if (c.counts.failures > 0) {
      x << "<failure message=\"" << c.counts.failures << " of " << c.counts.runs
        << " runs failed\"/>";
    }
    x << "</testcase>\n";
  }
  x << "  <testcase classname=\"timerbisect.triage\" name=\"timer-sensitivity\">";
  if (sensitive) {
    std::string msg = VerdictText(t.verdict);
    if (rep != nullptr && !rep->sets.empty()) {
      msg += "; " + std::to_string(rep->sets.size()) + " culprit set(s) found";
    }
    x << "<failure message=\"" << XmlEscape(msg) << "\"/>";
  } else if (t.verdict == Sensitivity::kInconclusive) {
    x << "<skipped message=\"inconclusive\"/>";
  }
  x << "</testcase>\n  <system-out>" << XmlEscape(text) << "</system-out>\n</testsuite>\n";
  return x.str();
}

nlohmann::json TriageJson(const Triage& t, double confidence, const report::BisectReport* rep) {
  nlohmann::json rates = nlohmann::json::array();
  for (const Config& c : t.configs) {
    stats::Interval ci = stats::WilsonInterval(c.counts, confidence);
    rates.push_back({{"configuration", c.name},
                     {"failures", static_cast<long long>(c.counts.failures)},
                     {"runs", static_cast<long long>(c.counts.runs)},
                     {"low", ci.low},
                     {"high", ci.high}});
  }
  nlohmann::json j = {{"schema_version", report::kJsonSchemaVersion},
                      {"duration_ms", t.duration.count()},
                      {"rates", rates},
                      {"verdict", VerdictWord(t.verdict)},
                      {"posterior", t.confidence},
                      {"confidence_asked", confidence}};
  if (t.verdict == Sensitivity::kInconclusive) j["runs_to_settle"] = t.runs_to_settle;
  j["bisect"] = rep != nullptr ? report::ToJson(*rep) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

CLI::App* AddTriageCommand(CLI::App& app, TriageOptions& o) {
  CLI::App* triage = app.add_subcommand(
      "triage",
      "Measure CMD's failure rate natively, all-old and all-new; say whether it is "
      "timer-sensitive; bisect if it is");
  AddBisectFlags(*triage, o.bisect);
  triage->add_option("--junit", o.junit_path, "Also write a JUnit XML report to this file");
  triage
      ->add_option("--budget", o.budget,
                   "Runs per configuration at most before a verdict (default 60)")
      ->check(CLI::Range(3, 100000));
  triage->add_flag("--no-bisect", o.no_bisect, "Only measure the rates");
  return triage;
}

int RunTriage(const TriageOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  TargetOptions t;
  std::optional<run::FailureClassifier> classifier;
  if (std::string error = PrepareTarget(o.bisect, t, classifier); !error.empty()) {
    std::cerr << error << "\n";
    return report::kExitUsage;
  }
  for (auto [flag, path] : {std::pair{"--json", &o.bisect.json_path}, {"--junit", &o.junit_path}}) {
    if (std::string error = CheckOutputPath(flag, *path); !error.empty()) {
      std::cerr << error << "\n";
      return report::kExitUsage;
    }
  }
  if (o.bisect.json_path == "-" && o.junit_path == "-") {
    std::cerr << "timerbisect: --json - and --junit - cannot both be standard output\n";
    return report::kExitUsage;
  }
  // With --json - or --junit -, that file is standard output; the text goes to stderr.
  std::ostream& text_out =
      (o.bisect.json_path == "-" || o.junit_path == "-") ? std::cerr : std::cout;
  if (t.shim_path.empty()) {
    std::cerr << "timerbisect: triage measures timer semantics through the shim; --env, "
                 "--godebug and PATTERN are for bisect\n";
    return report::kExitUsage;
  }
  std::optional<run::Journal> journal;
  nlohmann::json identity = JournalIdentity("triage", o.bisect, t);
  identity["budget"] = o.budget;
  identity["no_bisect"] = o.no_bisect;
  if (std::string error = OpenJournal(o.bisect.journal_path, identity, t.verbosity, journal);
      !error.empty()) {
    std::cerr << error << "\n";
    return report::kExitUsage;
  }
  run::InterruptGuard interrupt_guard;
  std::unique_ptr<run::Launcher> launcher;
  if (std::string error = MakeLauncher(o.bisect.launcher, t.shim_path, t.verbosity, launcher);
      !error.empty()) {
    std::cerr << error << "\n";
    return report::kExitUsage;
  }
  Target target(t, *launcher, *classifier, journal ? &*journal : nullptr);

  Triage triage = MeasureRates(target, o);
  if (!target.start_error().empty()) {
    std::cerr << target.start_error() << "\n";
    return report::kExitUsage;
  }
  if (std::string error = ShimNotReachedError(target.reports()); !error.empty()) {
    std::cerr << error << "\n";
    return report::kExitUsage;
  }
  triage.reached_sites = !target.reports().Ids().empty();
  std::string text = "timerbisect triage: " + std::to_string(target.runs()) + " runs\n" +
                     RatesText(triage, o.bisect.confidence);
  text_out << text;

  std::optional<report::BisectReport> rep;
  bool sensitive =
      triage.verdict == Sensitivity::kUnderNew || triage.verdict == Sensitivity::kUnderOld;
  if (sensitive && !o.no_bisect) {
    ProbeRecord native{"", {}, {}, {}};
    search::Result result = SearchTarget(target, o.bisect, search::Algorithm::kAdaptive, true);
    rep = DescribeResult(target, o.bisect, result, native);
    std::string bisect_text = report::FormatText(*rep);
    text_out << "\n" << bisect_text;
    text += "\n" + bisect_text;
  }
  triage.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (rep) rep->duration = triage.duration;
  const report::BisectReport* rep_ptr = rep ? &*rep : nullptr;
  bool ok = WriteOutput("--junit", o.junit_path, JUnit(triage, text, rep_ptr)) &&
            WriteOutput("--json", o.bisect.json_path,
                        TriageJson(triage, o.bisect.confidence, rep_ptr).dump(2) + "\n");
  if (!ok) return report::kExitUsage;
  switch (triage.verdict) {
    case Sensitivity::kNotSensitive:
      return report::kExitNotSensitive;
    case Sensitivity::kInconclusive:
      return report::kExitInconclusive;
    default:
      return rep ? report::ExitCode(*rep) : report::kExitFound;
  }
}

}  // namespace timerbisect::cmd
