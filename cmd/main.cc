// timerbisect: finds the timer call sites a program's behaviour depends on.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"timerbisect: find the timer call sites a test's result depends on"};
  app.set_version_flag("--version", "timerbisect 0.1.0");
  CLI11_PARSE(app, argc, argv);
  return 0;
}
