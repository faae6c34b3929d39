// A probe: one run of the target command, and the small interface that runs
// it. The local launcher forks it on this machine; a remote launcher (srun,
// ssh, kubectl exec) is another implementation of the same two calls, so the
// driver's -j is the number of probes in flight wherever they run
// (docs/DESIGN.md, "Beyond one machine").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace timerbisect::run {

// Everything a probe's result may depend on: argv and environment.
struct ProbeSpec {
  // The target command. argv[0] is looked up in PATH (the spec's own PATH if
  // `env` sets one) unless it contains a '/'.
  std::vector<std::string> argv;
  // Run argv joined by spaces through /bin/sh -c (for pipelines, redirections).
  bool shell = false;
  // Set or override in the child's environment; it inherits the rest. The
  // launcher adds TIMERSEM_REPORT=<probe dir>/report unless this sets it
  // (e.g. to "stderr", for markers in the output).
  std::vector<std::pair<std::string, std::string>> env;
  // 0: none. Past it the whole process group is killed (SIGKILL) and the
  // probe counts as timed out.
  std::chrono::milliseconds timeout{0};
  // Keep at most this many bytes of output: the head and the tail, with a
  // marker line between them saying how much was left out.
  std::size_t output_limit = 16u << 20;
  // Where the probe's own temp dir is made; empty: $TMPDIR, or /tmp.
  std::filesystem::path scratch_root;
};

struct ProbeOutput {
  bool started = false;  // false: could not start, `error` says why
  std::string error;     // one line, "timerbisect: ..."
  int exit_code = -1;    // when it exited normally
  int signal = 0;        // terminating signal, or 0
  bool timed_out = false;
  std::string output;  // stdout and stderr merged, in order of arrival
  // Full contents of the probe's report file (TIMERSEM_REPORT), to which the
  // shim in every process of the probe appends whole lines.
  std::string report;
  std::chrono::nanoseconds duration{0};  // from spawn to exit
  // Where it ran: a cluster node's name, a launcher prefix; empty: here.
  std::string where;
  // A remote launcher's run that says nothing about the target: the job
  // never started, the scheduler cancelled it, its node failed. It is run
  // again (run/lost_retry.h), never counted as a pass or a failure;
  // `lost_reason` says what happened, in one line.
  bool lost = false;
  std::string lost_reason;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  using Handle = std::uint64_t;
  // Starts a probe and returns at once. A probe that cannot start still gets
  // a handle; its Wait says why.
  virtual Handle Start(const ProbeSpec& spec) = 0;
  // Blocks until that probe is done and returns its result; each handle is
  // waited for once.
  virtual ProbeOutput Wait(Handle handle) = 0;
};

// Start + Wait.
ProbeOutput RunProbe(Launcher& launcher, const ProbeSpec& spec);

}  // namespace timerbisect::run
