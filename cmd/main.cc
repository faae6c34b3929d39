// timerbisect: finds the timer call sites a program's behaviour depends on.
// main reads as the list of passes: register the subcommands, parse the
// command line, run the chosen one, exit with its code (0 found, 1 not
// timer-sensitive, 2 usage or setup error, 3 inconclusive).
//
// `bisect` is the default: `timerbisect [flags] -- CMD` bisects.
#include <CLI/CLI.hpp>

#include "bisect_command.h"
#include "env_command.h"
#include "report/bisect_report.h"
#include "sites_command.h"
#include "triage_command.h"

int main(int argc, char** argv) {
  namespace cmd = timerbisect::cmd;
  CLI::App app{
      "timerbisect: find the timer call sites a test's result depends on.\n"
      "usage: timerbisect [bisect] [flags] -- CMD ARGS...\n"
      "       timerbisect SUBCOMMAND --help for the others"};
  app.set_version_flag("--version", "timerbisect 0.1.0");
  app.require_subcommand(0, 1);

  // The root command is bisect; `timerbisect bisect ...` says it explicitly.
  cmd::BisectOptions root_bisect, bisect;
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : timerbisect::report::kExitUsage;
  }
  if (*bisect_app) return cmd::RunBisect(bisect);
  if (*triage_app) return cmd::RunTriage(triage);
  if (*sites_app) return cmd::RunSites(sites);
  if (*env_app) return cmd::RunEnv(env);
  return cmd::RunBisect(root_bisect);
}
