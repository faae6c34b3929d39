#include "run/prefix_launcher.h"

#include <utility>

#include "run/remote_command.h"

namespace timerbisect::run {

PrefixLauncher::PrefixLauncher(std::vector<std::string> prefix) : prefix_(std::move(prefix)) {}

Launcher::Handle PrefixLauncher::Start(const ProbeSpec& spec) {
  ProbeSpec local = spec;
  local.argv = prefix_;
  std::vector<std::string> command = RemoteCommand(spec);
  local.argv.insert(local.argv.end(), command.begin(), command.end());
  local.shell = false;
  local.env.clear();  // all of it is in the command: the prefix itself runs without the shim
  local.timeout = Backstop(spec.timeout);
  return local_.Start(local);
}

ProbeOutput PrefixLauncher::Wait(Handle handle) {
  ProbeOutput out = local_.Wait(handle);
  SeparateWrapperLines(out);
  return out;
}

}  // namespace timerbisect::run
