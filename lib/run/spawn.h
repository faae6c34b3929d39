// Starting one local probe: the command resolved, the environment built, the
// child in its own process group with stdin from /dev/null and stdout+stderr
// on one pipe, registered for InterruptGuard before any signal can miss it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "run/probe.h"
#include "run/unique_fd.h"

namespace timerbisect::run {

struct SpawnedProbe {
  pid_t pid = -1;    // also the probe's process group id
  int slot = -1;     // its registry slot (run/probe_registry.h)
  UniqueFd output;   // read end of the output pipe, non-blocking
  UniqueFd exit_fd;  // a pidfd, readable once the child exits; invalid on kernels before 5.3
  std::chrono::steady_clock::time_point started;
};

// The child's environment: the parent's `base` ("NAME=value" strings), then
// `overrides` replacing or adding, then TIMERSEM_REPORT=report_path unless
// the overrides set it.
std::vector<std::string> BuildEnvironment(
    const char* const* base, const std::vector<std::pair<std::string, std::string>>& overrides,
    const std::string& report_path);

// Spawns `spec`, its report file in `dir` (see run/scratch.h); fails with
// an error line.
base::Expected<SpawnedProbe> SpawnProbe(const ProbeSpec& spec, const std::string& dir);

}  // namespace timerbisect::run
