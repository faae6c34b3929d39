#include "launcher_flags.h"

#include <unistd.h>

#include <iostream>
#include <sstream>

#include "run/local_launcher.h"
#include "run/lost_retry.h"
#include "run/prefix_launcher.h"
#include "run/preflight.h"
#include "run/slurm_launcher.h"

namespace timerbisect::cmd {
namespace {

// A lost run (never started, cancelled by the scheduler, node failure) is
// run again; this many in a row is a setup problem.
constexpr int kMaxLostAttempts = 5;

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// One line on stderr, in one write, so a line from another thread never
// cuts into it.
void Say(const std::string& line) {
  std::string text = "timerbisect: " + line + "\n";
  ssize_t ignored = write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

base::Expected<void> CheckShim(run::Launcher& launcher, const LauncherFlags& flags,
                               const std::string& shim_path) {
  using Result = base::Expected<void>;
  run::ProbeSpec check;
  check.argv = {"test", "-e", shim_path};
  check.timeout = std::chrono::minutes(10);
  run::ProbeOutput out = run::RunProbe(launcher, check);
  std::string launcher_name = flags.launcher == "slurm" ? "Slurm" : "'" + flags.launcher + "'";
  if (!out.started) return Result::Fail(out.error);
  if (out.lost) {
    return Result::Fail("timerbisect: cannot run a probe through " + launcher_name + ": " +
                        out.lost_reason);
  }
  if (out.timed_out) {
    return Result::Fail("timerbisect: checking for the shim through " + launcher_name +
                        " took over 10 minutes; is the cluster usable?");
  }
  if (out.where.empty()) {
    std::string said = out.output;
    while (!said.empty() && said.back() == '\n') said.pop_back();
    said = said.substr(said.rfind('\n') == std::string::npos ? 0 : said.rfind('\n') + 1);
    // 127: a shell's or env's "not found", of a word of the prefix or of
    // perl, which the probes' wrapper runs where the probes run.
    const std::string why = out.exit_code == 127
                                ? "127 is what a shell or env exits with when a program is not "
                                  "found: a word of the prefix, or perl where probes run?"
                                : "the prefix must run the command after its words (as srun, ssh "
                                  "HOST or env do), and perl where probes run";
    return Result::Fail("timerbisect: cannot run a probe through " + launcher_name + " (exit " +
                        std::to_string(out.exit_code) + (said.empty() ? "" : ": " + said) +
                        "): " + why);
  }
  if (out.signal != 0 || out.exit_code != 0) {
    std::string where = "on " + out.where;
    return Result::Fail("timerbisect: the shim " + shim_path + " does not exist " + where +
                        " (through " + launcher_name +
                        "): put it on a filesystem the nodes share, or give --shim a path " +
                        "that exists there");
  }
  return {};
}

}  // namespace

void AddLauncherFlags(CLI::App& app, LauncherFlags& f, bool one_run) {
  // A description must not begin with "--": help2man would take it for
  // another option.
  app.add_option(
      "--launcher", f.launcher,
      std::string("Where probes run: local (default), slurm (one job per probe") +
          (one_run ? "" : ", -j in flight") +
          "), "
          "or a command prefix such as 'kubectl exec pod --' or 'docker exec box' (ssh joins "
          "its arguments into one shell line: give it through a script that quotes them)");
  app.add_option("--launcher-arg", f.launcher_args,
                 "One more argument for srun (slurm) or the prefix; repeatable");
  app.add_option("--partition", f.partition, "The Slurm partition to run in (--launcher slurm)");
  app.add_option("--time-limit", f.time_limit,
                 "Each Slurm job's time limit, as srun --time takes it (e.g. 10, 1:00:00; "
                 "--launcher slurm)");
}

base::Expected<std::unique_ptr<run::Launcher>> MakeLauncher(const LauncherFlags& f, int verbosity) {
  using Result = base::Expected<std::unique_ptr<run::Launcher>>;
  std::vector<std::string> prefix = Words(f.launcher);
  if (prefix.empty()) {
    return Result::Fail("timerbisect: --launcher is empty; give local, slurm or a prefix");
  }
  bool slurm = f.launcher == "slurm";
  if (!slurm && (!f.partition.empty() || !f.time_limit.empty())) {
    return Result::Fail("timerbisect: --partition and --time-limit need --launcher slurm");
  }
  if (f.launcher == "local") {
    if (!f.launcher_args.empty()) {
      return Result::Fail("timerbisect: --launcher-arg needs a remote --launcher");
    }
    return std::unique_ptr<run::Launcher>(std::make_unique<run::LocalLauncher>());
  }
  std::unique_ptr<run::Launcher> remote;
  if (slurm) {
    run::SlurmLauncher::Options options;
    options.partition = f.partition;
    options.time_limit = f.time_limit;
    options.extra = f.launcher_args;
    if (verbosity >= 1) options.progress = Say;
    remote = std::make_unique<run::SlurmLauncher>(std::move(options));
  } else {
    // Said as the prefix's, not as if the test command were missing.
    if (auto found = run::ResolveCommand(prefix[0]); !found) {
      std::string why = found.error();
      if (why.starts_with("timerbisect: ")) why.erase(0, 13);
      return Result::Fail("timerbisect: --launcher '" + f.launcher + "': " + why);
    }
    prefix.insert(prefix.end(), f.launcher_args.begin(), f.launcher_args.end());
    remote = std::make_unique<run::PrefixLauncher>(std::move(prefix));
  }
  run::LostRetryLauncher::OnLost on_lost;
  if (verbosity >= 1) {
    on_lost = [](int attempt, const std::string& reason) {
      Say("lost run (" + reason + "); running it again (attempt " + std::to_string(attempt + 1) +
          ")");
    };
  }
  return std::unique_ptr<run::Launcher>(
      std::make_unique<run::LostRetryLauncher>(std::move(remote), kMaxLostAttempts, on_lost));
}

std::vector<std::string> ReproductionLauncher(const LauncherFlags& f) {
  if (f.launcher == "local") return {};
  std::vector<std::string> words;
  if (f.launcher == "slurm") {
    words = {"srun", "--ntasks=1"};
    if (!f.partition.empty()) words.push_back("--partition=" + f.partition);
    if (!f.time_limit.empty()) words.push_back("--time=" + f.time_limit);
  } else {
    words = Words(f.launcher);
  }
  words.insert(words.end(), f.launcher_args.begin(), f.launcher_args.end());
  return words;
}

base::Expected<void> CheckLauncher(run::Launcher& launcher, const LauncherFlags& f,
                                   const std::string& shim_path) {
  auto* retrying = dynamic_cast<run::LostRetryLauncher*>(&launcher);
  if (retrying == nullptr || shim_path.empty()) return {};
  // Straight to the remote launcher: a cluster that cannot run the check (no
  // perl or shim on the node, a bad partition) says so at once.
  return CheckShim(retrying->inner(), f, shim_path);
}

}  // namespace timerbisect::cmd
