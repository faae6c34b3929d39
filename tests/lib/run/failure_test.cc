// FailureClassifier: which ending of a probe is the failure being chased
// (--fail-on, --fail-exit), and SignalName.
#include <gtest/gtest.h>

#include <signal.h>

#include <string>
#include <utility>

#include "process_support.h"
#include "run/failure.h"
#include "run/local_launcher.h"
#include "run/probe.h"

namespace timerbisect::run {
namespace {

ProbeOutput Exited(int code, std::string output = "") {
  ProbeOutput out;
  out.started = true;
  out.exit_code = code;
  out.output = std::move(output);
  return out;
}

ProbeOutput Killed(int signo) {
  ProbeOutput out;
  out.started = true;
  out.signal = signo;
  return out;
}

ProbeOutput TimedOut() {
  ProbeOutput out = Killed(SIGKILL);
  out.timed_out = true;
  return out;
}

FailureClassifier Classifier(FailureRule rule) {
  auto c = FailureClassifier::Make(rule);
  EXPECT_TRUE(c) << c.error();
  return *c;
}

void ExpectVerdict(const Verdict& v, bool failed, const std::string& kind) {
  EXPECT_EQ(v.failed, failed) << v.kind;
  EXPECT_EQ(v.kind, kind);
}

TEST(FailureClassifier, WithoutCriteriaAnyBadEndIsTheFailure) {
  FailureClassifier c = Classifier({});
  ExpectVerdict(c.Classify(Exited(0, "FAIL")), false, "pass");
  ExpectVerdict(c.Classify(Exited(3)), true, "exit 3");
  ExpectVerdict(c.Classify(Killed(SIGSEGV)), true, "signal SIGSEGV");
  ExpectVerdict(c.Classify(TimedOut()), true, "timeout");
}

TEST(FailureClassifier, FailOnMatchesTheOutputOnly) {
  FailureClassifier c = Classifier({.fail_on = "Expected: [0-9]+", .fail_exit = {}});
  ExpectVerdict(c.Classify(Exited(0, "x\nExpected: 42\n")), true,
                "output matched /Expected: [0-9]+/");
  ExpectVerdict(c.Classify(Exited(1, "Expected: 42")), true, "output matched /Expected: [0-9]+/");
  ExpectVerdict(c.Classify(Exited(1, "other failure")), false, "exit 1");
  ExpectVerdict(c.Classify(Killed(SIGABRT)), false, "signal SIGABRT");
  ExpectVerdict(c.Classify(Exited(0)), false, "pass");
  ExpectVerdict(c.Classify(TimedOut()), true, "timeout");
}

TEST(FailureClassifier, FailExitMatchesListedCodesOnly) {
  FailureClassifier c = Classifier({.fail_on = "", .fail_exit = {3, 4}});
  ExpectVerdict(c.Classify(Exited(3)), true, "exit 3");
  ExpectVerdict(c.Classify(Exited(4, "Expected: 42")), true, "exit 4");
  ExpectVerdict(c.Classify(Exited(1)), false, "exit 1");
  ExpectVerdict(c.Classify(Killed(SIGSEGV)), false, "signal SIGSEGV");
  ExpectVerdict(c.Classify(Exited(0)), false, "pass");
  ExpectVerdict(c.Classify(TimedOut()), true, "timeout");
}

TEST(FailureClassifier, EitherCriterionSuffices) {
  FailureClassifier c = Classifier({.fail_on = "boom", .fail_exit = {3}});
  ExpectVerdict(c.Classify(Exited(0, "boom")), true, "output matched /boom/");
  ExpectVerdict(c.Classify(Exited(3)), true, "exit 3");
  ExpectVerdict(c.Classify(Exited(3, "boom")), true, "output matched /boom/");
  ExpectVerdict(c.Classify(Exited(2, "bang")), false, "exit 2");
  ExpectVerdict(c.Classify(Killed(SIGSEGV)), false, "signal SIGSEGV");
  ExpectVerdict(c.Classify(TimedOut()), true, "timeout");
}

TEST(FailureClassifier, ListingZeroMakesSuccessTheFailure) {
  FailureClassifier c = Classifier({.fail_on = "", .fail_exit = {0}});
  ExpectVerdict(c.Classify(Exited(0)), true, "exit 0");
}

TEST(FailureClassifier, ProbeThatDidNotStartIsNoVerdict) {
  ProbeOutput out;
  out.error = "timerbisect: command not found: foo (not in PATH)";
  ExpectVerdict(Classifier({}).Classify(out), false, "not started");
  ExpectVerdict(Classifier({.fail_on = "", .fail_exit = {-1}}).Classify(out), false, "not started");
}

TEST(FailureClassifier, BadRegexIsOneLineError) {
  auto made = FailureClassifier::Make({.fail_on = "a(b", .fail_exit = {}});
  ASSERT_FALSE(made);
  const std::string& error = made.error();
  EXPECT_EQ(error.rfind("timerbisect: bad --fail-on regex /a(b/: missing )", 0), 0u) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(FailureClassifier, ClassifiesARealProbe) {
  LocalLauncher launcher;
  FailureClassifier c = Classifier({.fail_on = "timer fired twice", .fail_exit = {}});
  ExpectVerdict(c.Classify(RunProbe(launcher, Shell("echo timer fired twice; exit 1"))), true,
                "output matched /timer fired twice/");
  ExpectVerdict(c.Classify(RunProbe(launcher, Command({RUN_CRASH, "segv"}))), false,
                "signal SIGSEGV");
}

TEST(SignalName, NamesAndNumbers) {
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGRTMIN + 1), "signal " + std::to_string(SIGRTMIN + 1));
}

}  // namespace
}  // namespace timerbisect::run
