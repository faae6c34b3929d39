// What --help (and so the man pages) calls each flag's value: `--count N`,
// `--timeout D`, `--json FILE`, as the README writes them, instead of
// CLI11's types with their checks spelled out (`INT:INT in [1 - 1000]`).
#pragma once

#include <CLI/CLI.hpp>

namespace timerbisect::cmd {

// Names the values of every option of `app` and of its subcommands, and
// drops the checks' descriptions from them (each flag's help says its
// range in words).
void NameFlagValues(CLI::App& app);

}  // namespace timerbisect::cmd
