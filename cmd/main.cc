// timerbisect: finds the timer call sites a program's behaviour depends on.
// main reads as the list of passes: parse the command line, run the chosen
// subcommand, exit with its code (0 found, 1 not timer-sensitive, 2 usage or
// setup error, 3 inconclusive).
#include <CLI/CLI.hpp>

#include "bisect_command.h"
#include "report/bisect_report.h"

int main(int argc, char** argv) {
  CLI::App app{
      "timerbisect: find the timer call sites a test's result depends on.\n"
      "usage: timerbisect [flags] -- CMD ARGS..."};
  app.set_version_flag("--version", "timerbisect 0.1.0");
  timerbisect::cmd::BisectOptions bisect;
  timerbisect::cmd::AddBisectFlags(app, bisect);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : timerbisect::report::kExitUsage;
  }
  return timerbisect::cmd::RunBisect(bisect);
}
