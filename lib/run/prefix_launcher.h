// `--launcher 'ssh host'`, `--launcher 'kubectl exec pod --'`: each probe
// runs as PREFIX... env NAME=VALUE... CMD ARGS... (run/remote_command.h),
// started and timed out locally by a LocalLauncher (the prefix's process
// is a local process); reports come back in the output.
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
  const std::string where_;  // the prefix, for the journal
  LocalLauncher local_;
};

}  // namespace timerbisect::run
