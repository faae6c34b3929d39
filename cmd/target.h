// The target under test, as the search sees it: a pattern in, a verdict and
// the reported site IDs out. Knows how the pattern reaches the target: the
// shim (TIMERSEM=new#PATTERN with LD_PRELOAD), or any program speaking the
// bisect protocol (--env VAR=VALUE#PATTERN, --godebug, PATTERN in argv).
// Probes can run several at a time (-j) and are recorded in, and replayed
// from, a journal (--journal).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/reproduction.h"
#include "report/site_reports.h"
#include "run/failure.h"
#include "run/journal.h"
#include "run/probe.h"
#include "search/search.h"
#include "timeout_flag.h"

namespace timerbisect::cmd {

using EnvList = std::vector<std::pair<std::string, std::string>>;

struct TargetOptions {
  std::vector<std::string> argv;
  bool shell = false;
  // --timeout. By default the first run gets FirstRunTimeout, and once a
  // native run has finished every probe gets 10 times its duration (at
  // least 30 s); see timeout_flag.h.
  TimeoutFlag timeout;
  std::string shim_path;  // empty: not the shim (protocol mode)
  // The runs' LD_PRELOAD: the shim, then the environment's other preloads
  // (preload.h).
  std::string preload;
  // Protocol mode: the variable whose value carries the pattern, and that
  // value with the word PATTERN where the pattern goes ("GODEBUG",
  // "asynctimerchan=1#PATTERN"); or argv words holding "PATTERN".
  std::string pattern_var;
  std::string pattern_value;
  // VAR=VALUE words given before the command: its environment.
  std::vector<std::pair<std::string, std::string>> command_env;
  EnvList shim_env;   // TIMERSEM_ASPECTS, _DEPTH, ...
  int verbosity = 1;  // 0 quiet, 1 progress, 2 every probe's output
  // -j: probes in flight at once, whatever a batch asks for (0: no limit).
  // A test that cannot run beside itself (a fixed port, a shared file) is
  // why a user gives -j 1, so no caller may exceed it.
  int max_in_flight = 0;
  // --launcher's words for reproduce lines (ReproductionLauncher).
  std::vector<std::string> reproduce_launcher;
};

struct ProbeRecord {
  std::string pattern;
  run::Verdict verdict;
  std::vector<std::uint64_t> reported;
  std::chrono::milliseconds duration{0};
  bool replayed = false;  // the journal's record of an earlier session's run, not run now
  bool started = true;    // false: the launcher could not start it (no verdict)
};

// One probe to run: a pattern ("" = native) and extra environment.
struct ProbeRequest {
  std::string pattern;
  EnvList extra_env;
};

class Target {
 public:
  Target(TargetOptions options, run::Launcher& launcher, run::FailureClassifier classifier,
         run::Journal* journal = nullptr);

  // Runs once under `pattern` ("" = native / not under bisect).
  ProbeRecord Run(const std::string& pattern, const EnvList& extra_env = {});
  // Runs all, at most max_in_flight at once (the next starts as the oldest
  // ends); results in request order.
  std::vector<ProbeRecord> RunBatch(const std::vector<ProbeRequest>& requests);

  // What reproduces `pattern`: the variables and the command (the line the
  // user pastes is report::ShellLine of it).
  report::Reproduction Reproduction(const std::string& pattern) const;

  const report::ReportCollector& reports() const { return reports_; }
  int runs() const { return runs_; }
  int replayed() const { return replayed_; }
  bool uses_shim() const { return !options_.shim_path.empty(); }
  // The shim the probes preload, as located and checked (empty: none).
  const std::string& shim_path() const { return options_.shim_path; }
  // Protocol mode: the variable that carries the pattern ("" when PATTERN
  // is a word of the command).
  const std::string& pattern_var() const { return options_.pattern_var; }
  // The timeout the next probe gets (0: none).
  std::chrono::milliseconds timeout() const { return timeout_; }
  // The first probe that could not start (command vanished, exec failed), if any.
  const std::string& start_error() const { return start_error_; }
  // The native run exited 127 or 126, as a shell does for a command it
  // cannot find or run and the loader for a missing library: a setup error.
  const std::string& native_error() const { return native_error_; }
  // Runs that ended badly (an exit code, a signal, a timeout) in a way
  // --fail-on / --fail-exit do not count as the failure, and the first
  // such ending ("exit 1").
  int unchased_endings() const { return unchased_; }
  const std::string& unchased_kind() const { return unchased_kind_; }
  // Every run made (not replayed) was stopped by --timeout.
  bool every_run_timed_out() const { return runs_ > 0 && timed_out_ == runs_; }
  // Whether a run's output had g++'s AddressSanitizer refusing to start
  // because the shim came before its runtime in the library list, and no
  // run has had the shim active: libasan.so refuses it in every run.
  bool asan_refused_preload() const { return asan_refused_preload_ && !reports_.shim_announced(); }

 private:
  run::ProbeSpec SpecFor(const std::string& pattern) const;
  std::string JournalKey(const ProbeRequest& request) const;
  ProbeRecord Record(const ProbeRequest& request, const run::ProbeOutput& out);
  ProbeRecord Replayed(const run::JournalEntry& entry);
  // After the first native run: the probes' timeout, scaled by its duration.
  void ScaleTimeout(const ProbeRecord& native);

  TargetOptions options_;
  run::Launcher& launcher_;
  run::FailureClassifier classifier_;
  run::Journal* journal_;
  std::chrono::milliseconds timeout_;
  bool timeout_scaled_ = false;
  report::ReportCollector reports_;
  bool asan_refused_preload_ = false;
  std::atomic<int> runs_{0};  // also read by an interrupt's last words
  int replayed_ = 0;
  std::string start_error_;
  std::string native_error_;
  int timed_out_ = 0;
  int unchased_ = 0;
  std::string unchased_kind_;
};

}  // namespace timerbisect::cmd
