// How to reproduce a set, as data: the variables to set and the command.
// The shell line a user pastes is rendered from it (ShellLine), and tools
// (`timerbisect env --from-json`, the tests) read the data back from the
// JSON, never the shell line.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "base/expected.h"

namespace timerbisect::report {

struct Reproduction {
  std::vector<std::pair<std::string, std::string>> env;  // in the order they are set
  std::vector<std::string> argv;                         // the command
  // The command ran through /bin/sh -c with argv joined by spaces: the line
  // is `env VAR=... sh -c '...'`, so the variables reach the whole script.
  bool shell = false;
  // Words the command ran behind (--launcher: srun and its arguments, or the
  // prefix given); empty: it ran here. The line is then `LAUNCHER... env
  // VAR=... CMD`, so the variables are set where the command runs, not in
  // the launcher's own process.
  std::vector<std::string> launcher{};

  // The value of `name` in env, or nullptr.
  const std::string* Find(const std::string& name) const;

  friend bool operator==(const Reproduction&, const Reproduction&) = default;
};

// `VAR=value ... CMD ARGS` with each word quoted for a POSIX shell
// (`LAUNCHER... env VAR=value ... CMD ARGS` behind a launcher).
std::string ShellLine(const Reproduction& reproduction);

// {"env": [[name, value], ...], "argv": [...], "shell": bool, "launcher": [...]}
// ("launcher" is optional when read, and an empty one is not written).
nlohmann::json ToJson(const Reproduction& reproduction);
// Fails, saying what is wrong, unless `json` is ToJson's form.
base::Expected<Reproduction> ReproductionFromJson(const nlohmann::json& json);

}  // namespace timerbisect::report
