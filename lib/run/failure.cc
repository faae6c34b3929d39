#include "run/failure.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>

namespace timerbisect::run {

std::string SignalName(int signo) {
  // sigabbrev_np (glibc 2.32): "SEGV"; null for real-time signals.
  const char* abbrev = sigabbrev_np(signo);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signo);
}

base::Expected<FailureClassifier> FailureClassifier::Make(const FailureRule& rule) {
  FailureClassifier classifier;
  if (!rule.fail_on.empty()) {
    // Quiet: the error goes into one line of ours, not re2's log on stderr.
    auto re = std::make_shared<const re2::RE2>(rule.fail_on, re2::RE2::Quiet);
    if (!re->ok()) {
      return base::Expected<FailureClassifier>::Fail(
          "timerbisect: bad --fail-on regex /" + rule.fail_on + "/: " + re->error() +
          " (re2 syntax: https://github.com/google/re2/wiki/Syntax)");
    }
    classifier.fail_on_ = std::move(re);
  }
  classifier.fail_exit_ = rule.fail_exit;
  return classifier;
}

Verdict FailureClassifier::Classify(const ProbeOutput& probe) const {
  if (!probe.started) return {false, "not started"};
  if (probe.lost) return {false, "lost"};
  if (probe.timed_out) return {true, "timeout"};
  std::string what = probe.signal != 0      ? "signal " + SignalName(probe.signal)
                     : probe.exit_code != 0 ? "exit " + std::to_string(probe.exit_code)
                                            : "pass";
  if (fail_on_ == nullptr && fail_exit_.empty()) return {what != "pass", what};
  if (fail_on_ != nullptr && re2::RE2::PartialMatch(probe.output, *fail_on_)) {
    return {true, "output matched /" + fail_on_->pattern() + "/"};
  }
  bool listed = probe.signal == 0 && std::find(fail_exit_.begin(), fail_exit_.end(),
                                               probe.exit_code) != fail_exit_.end();
  if (listed) return {true, "exit " + std::to_string(probe.exit_code)};
  return {false, what};
}

}  // namespace timerbisect::run
