// `timerbisect triage`: the failure rates of a test natively, all-old and
// all-new, the verdict, and the bisection's report when there is one; as
// text, JUnit XML (for CI test reports) and JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "report/bisect_report.h"
#include "stats/rate.h"

namespace timerbisect::report {

// kUnderBoth: all-old and all-new fail alike, and both more often than
// native runs: some timers fail it under old and others under new.
enum class Sensitivity { kUnderNew, kUnderOld, kUnderBoth, kNotSensitive, kInconclusive };

// One configuration's runs: the shim inert ("native", pattern ""), every
// site old ("all-old", "n" under new#: every site disabled), every site new
// ("all-new", "y").
struct Configuration {
  const char* name;
  const char* pattern;
  stats::Counts counts;
};

struct TriageReport {
  Configuration configs[3] = {{"native", "", {}}, {"all-old", "n", {}}, {"all-new", "y", {}}};
  Sensitivity verdict = Sensitivity::kInconclusive;
  double confidence = 0;   // posterior of the verdict
  int runs_to_settle = 0;  // when inconclusive: more runs per configuration, -1 unknown
  bool reached_sites = true;
  bool reached_out_of_scope = false;      // ... but sites outside the scope were reached
  std::chrono::milliseconds duration{0};  // the whole triage
};

bool IsSensitive(Sensitivity verdict);

// The rates with their Wilson intervals at `confidence`, and the verdict.
std::string RatesText(const TriageReport& triage, double confidence);
// One test case per configuration (failed if any run failed) and one for
// the verdict (failed when the test is timer-sensitive), with `text` (the
// whole text report) as system-out.
std::string JUnit(const TriageReport& triage, const std::string& text, const BisectReport* bisect);
nlohmann::json ToJson(const TriageReport& triage, double confidence, const BisectReport* bisect);

// For a triage stopped before its verdict (by a signal, or by a setup
// error): one test case, "timer-sensitivity", in error with `message`.
std::string ErrorJUnit(const std::string& message);
// For a triage stopped by a signal before its verdict: the JSON
// {"schema_version", "duration_ms", "verdict": "interrupted", "message",
// "command", "runs", "rates"} with the rounds' rates so far (`so_far`).
nlohmann::json InterruptedJson(const std::string& message, int runs,
                               std::chrono::milliseconds duration,
                               const std::vector<std::string>& command, const TriageReport& so_far,
                               double confidence);
// For a triage stopped by a setup error: {"schema_version", "verdict":
// "setup-error", "message", "command"}.
nlohmann::json TriageSetupErrorJson(const std::string& message,
                                    const std::vector<std::string>& command);

}  // namespace timerbisect::report
