// Which failure is the one being chased (--fail-on, --fail-exit), so that a
// different crash met halfway through a bisection is not mistaken for it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"
#include "run/probe.h"

namespace re2 {
class RE2;
}

namespace timerbisect::run {

struct FailureRule {
  std::string fail_on;         // re2 regex over the output; empty: unused
  std::vector<int> fail_exit;  // exit codes that count as the failure; empty: unused
};

struct Verdict {
  bool failed = false;  // the chased failure happened
  // What happened: "exit 3", "signal SIGSEGV", "timeout", "output matched
  // /regex/", "pass"; or "not started". A probe that ended badly in a way
  // the rule does not chase keeps its description with failed == false.
  // A lost run (ProbeOutput::lost) is "lost", never a failure.
  std::string kind;
};

class FailureClassifier {
 public:
  // Fails, in one line, if fail_on is not a valid re2 regex.
  static base::Expected<FailureClassifier> Make(const FailureRule& rule);

  // With neither criterion set, any nonzero exit, death by signal or timeout
  // is the failure. With fail_on and/or fail_exit, the probe fails iff the
  // regex matches somewhere in the output or the exit code is listed. A
  // timeout is always a failure, of kind "timeout". A probe that did not
  // start is not a verdict on the target: failed is false, and the driver
  // reports its error as a setup error.
  Verdict Classify(const ProbeOutput& probe) const;

 private:
  FailureClassifier() = default;

  std::shared_ptr<const re2::RE2> fail_on_;  // shared: RE2 is immutable and not copyable
  std::vector<int> fail_exit_;
};

// "SIGSEGV", or "signal 42" for a number without a name.
std::string SignalName(int signo);

}  // namespace timerbisect::run
