// LostRetryLauncher: lost runs are run again and never reach the caller; a
// probe lost every time is a setup error.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "process_support.h"
#include "run/lost_retry.h"
#include "run/probe.h"

namespace timerbisect::run {
namespace {

// A launcher that returns scripted results, and counts its starts.
class ScriptedLauncher final : public Launcher {
 public:
  explicit ScriptedLauncher(std::deque<ProbeOutput> results) : results_(std::move(results)) {}
  Handle Start(const ProbeSpec& spec) override {
    started.push_back(spec.argv);
    return ++next_;
  }
  ProbeOutput Wait(Handle) override {
    ProbeOutput out = results_.front();
    results_.pop_front();
    return out;
  }
  std::vector<std::vector<std::string>> started;

 private:
  std::deque<ProbeOutput> results_;
  Handle next_ = 0;
};

ProbeOutput Lost(const std::string& reason) {
  ProbeOutput out;
  out.started = true;
  out.lost = true;
  out.lost_reason = reason;
  return out;
}

TEST(LostRetry, LostRunsAreRunAgainAndNeverReachTheCaller) {
  ProbeOutput failed;
  failed.started = true;
  failed.exit_code = 1;
  auto scripted = std::make_unique<ScriptedLauncher>(
      std::deque<ProbeOutput>{Lost("node failure"), Lost("cancelled"), failed});
  ScriptedLauncher* inner = scripted.get();
  std::vector<std::string> seen;
  LostRetryLauncher launcher(std::move(scripted), 5, [&](int attempt, const std::string& reason) {
    seen.push_back(std::to_string(attempt) + " " + reason);
  });
  ProbeOutput out = RunProbe(launcher, Command({"./t"}));
  EXPECT_FALSE(out.lost);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(inner->started.size(), 3u);
  EXPECT_EQ(seen, (std::vector<std::string>{"1 node failure", "2 cancelled"}));
  EXPECT_EQ(launcher.lost_runs(), 2);
}

TEST(LostRetry, AProbeLostEveryTimeIsASetupErrorInOneLine) {
  auto scripted = std::make_unique<ScriptedLauncher>(
      std::deque<ProbeOutput>{Lost("a"), Lost("b"), Lost("srun: error: Invalid partition")});
  LostRetryLauncher launcher(std::move(scripted), 3);
  ProbeOutput out = RunProbe(launcher, Command({"./t"}));
  EXPECT_FALSE(out.started);
  EXPECT_FALSE(out.lost);
  EXPECT_EQ(out.error,
            "timerbisect: a probe was lost 3 times in a row, last: srun: error: Invalid "
            "partition; is the cluster usable?");
}

}  // namespace
}  // namespace timerbisect::run
