// What a probe becomes when a launcher runs it somewhere else (srun, ssh,
// kubectl exec): one argv that carries its whole environment explicitly,
// and, on the way back, its report lines taken out of its output.
//
// Reports come back in the output, because nothing may be shared between
// this machine and the node but the shim's path. A small perl wrapper on
// the node gives the probe a report file there, runs it, and then prints
// the file's lines into the output (each with kReportLinePrefix), so the
// reports of processes whose stderr is not the probe's (ctest's tests) come
// back too, which TIMERSEM_REPORT=stderr would lose. It also prints where
// it runs (kNodeLinePrefix), and ends as the probe did: the same exit
// code, or a line naming the signal that killed it (sh could not tell exit
// 137 from SIGKILL; dying of the signal itself lost the report through
// srun). perl is in Debian's essential set and on nearly every cluster node.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "run/probe.h"

namespace timerbisect::run {

// `perl -e WRAPPER TIMEOUT env NAME=VALUE... CMD ARGS...`: the spec's
// timeout (the wrapper kills the probe at it and says so), its variables
// (the last value of a name wins, as locally; a TIMERSEM_REPORT among them
// wins over the wrapper's file), then the command (`/bin/sh -c 'ARGS
// joined'` when spec.shell). Words are passed as they are: a prefix that
// re-parses them with a shell (ssh) needs a wrapper that quotes them.
std::vector<std::string> RemoteCommand(const ProbeSpec& spec);

// True for a line the shim wrote for the driver: a match report
// ("[bisect-match ...") or one of its own "timerbisect: " lines.
bool IsShimLine(std::string_view line);

// The wrapper's lines: where it runs (first), each line of the report, and
// whether it stopped the probe at its timeout.
inline constexpr char kNodeLinePrefix[] = "timerbisect-node: ";
inline constexpr char kReportLinePrefix[] = "timerbisect-report: ";
inline constexpr char kTimeoutLine[] = "timerbisect-timeout";
inline constexpr char kSignalLinePrefix[] = "timerbisect-signal: ";

// The launcher's own timeout for a wrapped probe: later than the wrapper's
// (which starts after the prefix, srun or a queue), so that the wrapper
// stops a hanging probe and prints its report first; the launcher's only
// catches a wrapper that never started or never ends.
std::chrono::milliseconds Backstop(std::chrono::milliseconds timeout);

// Takes the wrapper's lines out of out.output: a timeout into
// out.timed_out, the probe's signal into out.signal (out.exit_code -1), the
// node into out.where, the
// report lines (without their prefix) and any line the shim wrote to
// stderr into out.report, so --fail-on and -v see the target's output only.
void SeparateWrapperLines(ProbeOutput& out);

}  // namespace timerbisect::run
