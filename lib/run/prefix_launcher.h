// `--launcher 'kubectl exec pod --'`, `--launcher 'docker exec box'`: each
// probe runs as PREFIX... perl -e WRAPPER env NAME=VALUE... CMD ARGS...
// (run/remote_command.h), started and timed out locally by a LocalLauncher
// (the prefix's process is a local process); reports, where it ran and its
// exit status come back through the wrapper.
//
// What the prefix does with the words is its own affair: a --timeout or a
// Ctrl-C kills the local prefix process's group, and whether that stops
// the remote command is the prefix's (ssh without a tty does not).
#pragma once

#include <string>
#include <vector>

#include "run/local_launcher.h"
#include "run/probe.h"

namespace timerbisect::run {

class PrefixLauncher final : public Launcher {
 public:
  explicit PrefixLauncher(std::vector<std::string> prefix);

  Handle Start(const ProbeSpec& spec) override;
  ProbeOutput Wait(Handle handle) override;

 private:
  const std::vector<std::string> prefix_;
  LocalLauncher local_;
};

}  // namespace timerbisect::run
