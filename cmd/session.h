// One driver session: what bisect and triage share, from the options to the
// report. A command reads as a short list of steps:
//
//   auto session = Session::Open("bisect", options, launcher);  // every setup error at once
//   ProbeRecord native = session->RunNative();
//   search::Result result = session->Search();
//   report::BisectReport report = session->Describe(result, native);
//
// The launcher is the seam: the executable passes run::LocalLauncher (or a
// cluster one), tests a fake that answers from a table.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"
#include "launcher_flags.h"
#include "report/bisect_report.h"
#include "run/failure.h"
#include "run/journal.h"
#include "run/probe.h"
#include "search/search.h"
#include "symbolize/symbolizer.h"
#include "target.h"

namespace timerbisect::cmd {

// The flags of bisect (and of triage, which bisects).
struct SessionOptions {
  std::vector<std::string> command;
  bool shell = false;
  std::string timeout;  // --timeout as given ("": the default; timeout_flag.h)
  std::string fail_on;
  std::vector<int> fail_exit;
  int count = 1;
  int max_sets = 0;
  int max_set_size = 0;  // --maxset (0: no limit)
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

// What Open checks beyond the options, per subcommand.
struct SessionChecks {
  std::vector<std::pair<std::string, std::string>> output_paths = {};  // flag, path
  bool shim_only = false;  // protocol targets (--env, --godebug, PATTERN) are an error
  nlohmann::json identity_extra = nlohmann::json::object();  // more flags that decide the probes
};

class Session {
 public:
  // Validates everything before the first run: the command, every flag, the
  // output paths, the journal (recorded for this same run, if it exists).
  // Returns every error found.
  static Expected<std::unique_ptr<Session>> Open(std::string_view subcommand,
                                                 const SessionOptions& options,
                                                 run::Launcher& launcher,
                                                 const SessionChecks& checks = {});

  Target& target() { return *target_; }
  const SessionOptions& options() const { return options_; }
  // The native run's verdict as its progress line says it.
  std::string NativeVerdictText(const run::Verdict& verdict) const;
  int verbosity() const { return target_options_.verbosity; }

  // The native run (no pattern): the baseline of the default timeout.
  ProbeRecord RunNative();
  // Searches with --algorithm ("auto": search::Algorithm::kAuto), or with
  // `forced`. Runs in `earlier` (triage's) are handed to the search: a probe
  // of the same pattern takes one instead of running.
  search::Result Search(const std::vector<ProbeRecord>& earlier = {},
                        std::optional<search::Algorithm> forced = std::nullopt);
  // After the native run: "" or the one error that makes every further run
  // pointless (the command could not start; libasan.so refused the shim; a
  // wrapper dropped the shim and no timer site was reached).
  std::string NativeRunError() const;
  // After runs: "" or the one error that makes their results meaningless
  // (NativeRunError's, or the shim never reached the program).
  std::string RunError() const;
  // "timerbisect: WHAT started; stopped after 10m (--timeout sets it)": the
  // first runs' line while they run (a program that hangs natively is
  // otherwise silent until that timeout). Nothing when quiet.
  void SayFirstRunsStarted(const std::string& what) const;
  // The report of a search: symbolized sets, reproduce lines, aspects.
  report::BisectReport Describe(const search::Result& result, const ProbeRecord& native);
  // Since Open.
  std::chrono::milliseconds Elapsed() const;
  // What an interrupted run's --json says: "interrupted by SIGTERM after N
  // runs: no answer yet; ..." and how to resume. Safe on the interrupt's
  // thread (run::InterruptGuard::SetLastWords): it reads the run count
  // (atomic) and what Open fixed.
  std::string InterruptedMessage(int signo) const;
  // The bisect report of an interrupted run: this message, or the sets
  // found: those the search had settled when the interrupt came while it
  // searched for more (search::Config::settled), or every set when it came
  // while Describe attributed their aspects (those it had not attributed yet
  // left without any).
  report::BisectReport InterruptedReport(int signo) const;

 private:
  Session() = default;

  // "give --journal FILE so that ..." or "run the same command again to
  // resume from FILE".
  std::string ResumeAdvice() const;
  // The sets of a result, symbolized, with their reproduce lines; no aspects.
  std::vector<report::FoundSet> DescribeSets(const search::Result& result);
  // search::Config::settled: the sets so far, for InterruptedReport.
  void KeepSettledSets(const search::Result& so_far);

  SessionOptions options_;
  TargetOptions target_options_;
  std::optional<run::Journal> journal_;
  std::unique_ptr<Target> target_;
  std::chrono::steady_clock::time_point started_;
  // Describe's report so far, for InterruptedReport on the interrupt's
  // thread: set once the sets are described, before their aspects' runs.
  mutable std::mutex described_mu_;
  std::optional<report::BisectReport> described_;
  // DescribeSets', on the search's thread: each settled set and then the
  // final answer describe the same sites, so each module's debug info is
  // opened once for the whole session.
  symbolize::Symbolizer symbolizer_;
  bool described_in_search_ = false;  // described_ holds the search's settled sets only
};

// What to do when the target passes natively but fails both with every
// site old and with every site new: no configuration of old and new sites
// passes, so no search can start. (Bisect and triage say it alike.)
inline constexpr const char* kBothWaysAdvice =
    "no passing baseline to bisect from: some timer sites fail it under old semantics and "
    "others under new, and every run has each site old or new; make one failure the one "
    "chased with --fail-on TEXT (a line only that failure prints) and run again";

// Runs in flight: `jobs`, or the number of cores when 0.
int JobsOrCores(int jobs);

// What a journal is recorded for: the subcommand, the command, the
// environment that matters and the flags that decide the probes' results.
nlohmann::json JournalIdentity(std::string_view subcommand, const SessionOptions& options,
                               const TargetOptions& target);

// Why no site was found when every site reached was outside the scope.
std::string NoSiteInScope(const std::string& scope);

}  // namespace timerbisect::cmd
