// timerbisect: finds the timer call sites a program's behaviour depends on.
// main reads as the list of passes: register the subcommands, parse the
// command line, run the chosen one, exit with its code (0 found, 1 not
// timer-sensitive, 2 usage or setup error, 3 inconclusive).
//
// `bisect` is the default: `timerbisect [flags] -- CMD` bisects.
#include <signal.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "bisect_command.h"
#include "env_command.h"
#include "exit_codes.h"
#include "report/bisect_report.h"
#include "sites_command.h"
#include "triage_command.h"

namespace {

constexpr std::string_view kSubcommands[] = {"bisect", "triage", "sites", "env"};

// The root's usage line says that bisect is the default; CLI11's own would
// read "[OPTIONS] [command...] [SUBCOMMAND]".
class Formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (app->get_parent() != nullptr) return CLI::Formatter::make_usage(app, std::move(name));
    return "\nusage: timerbisect [bisect] [flags] -- CMD ARGS...\n"
           "       timerbisect {triage|sites|env} [flags] ...   (each has --help)\n";
  }
};

// Levenshtein distance, for "did you mean".
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// `timerbisect triag -- prog` would otherwise bisect a program named
// "triag": a first word close to a subcommand, and no path, is a typo.
std::string_view CloseSubcommand(std::string_view word) {
  if (word.empty() || word[0] == '-' || word.find('/') != std::string_view::npos) return {};
  for (std::string_view sub : kSubcommands) {
    if (word != sub && Distance(word, sub) <= 2) return sub;
  }
  return {};
}

// A probe's stdout is not ours; ours may be a pipe to `head`, closed
// early. A handler (unlike SIG_IGN, which exec passes on to every probe)
// makes the write fail with EPIPE instead of killing the driver mid-search.
void OnSigpipe(int) {}

}  // namespace

int main(int argc, char** argv) {
  namespace cmd = timerbisect::cmd;
  struct sigaction sa = {};
  sa.sa_handler = OnSigpipe;
  sigaction(SIGPIPE, &sa, nullptr);

  CLI::App app{"timerbisect: find the timer call sites a test's result depends on."};
  app.formatter(std::make_shared<Formatter>());
  app.set_version_flag("--version", "timerbisect 0.3.0");
  app.require_subcommand(0, 1);
  app.footer(
      "Exit codes: 0 found, 1 not timer-sensitive, 2 usage or setup error, 3 inconclusive.\n"
      "Environment: TIMERBISECT_SHIM, the shim to preload when --shim is not given.");

  // The root command is bisect; `timerbisect bisect ...` says it explicitly.
  cmd::SessionOptions root_bisect, bisect;
  cmd::AddBisectFlags(app, root_bisect);
  CLI::App* bisect_app =
      app.add_subcommand("bisect", "Find the minimal sets of timer sites that make CMD fail");
  cmd::AddBisectFlags(*bisect_app, bisect);
  // `triage`: is a flaky test about timers, and which timers.
  cmd::TriageOptions triage;
  CLI::App* triage_app = cmd::AddTriageCommand(app, triage);
  // `sites`: every timer site of one native run, with counts and stacks.
  cmd::SitesOptions sites;
  CLI::App* sites_app = cmd::AddSitesCommand(app, sites);
  // `env`: the export lines that reproduce a mode by hand.
  cmd::EnvOptions env;
  CLI::App* env_app = cmd::AddEnvCommand(app, env);

  if (argc > 1 && std::string_view(argv[1]) == "help") {
    std::cout << app.help();
    return 0;
  }
  if (argc > 1) {
    if (std::string_view sub = CloseSubcommand(argv[1]); !sub.empty()) {
      std::cerr << "timerbisect: unknown subcommand \"" << argv[1]
                << "\"; did you mean `timerbisect " << sub
                << "`? (to bisect a program of that name, give its path: ./" << argv[1] << ")\n";
      return timerbisect::cmd::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::cerr << "timerbisect: " << what << "; see timerbisect --help\n";
    return timerbisect::cmd::kExitUsage;
  }
  if (*bisect_app) return cmd::RunBisect(bisect);
  if (*triage_app) return cmd::RunTriage(triage);
  if (*sites_app) return cmd::RunSites(sites);
  if (*env_app) return cmd::RunEnv(env);
  return cmd::RunBisect(root_bisect);
}
