// What a probe becomes when a launcher runs it somewhere else (srun, ssh,
// kubectl exec): one argv that carries its whole environment explicitly,
// and, on the way back, its report lines taken out of its output.
//
// Reports come back in the output, because nothing may be shared between
// this machine and the node but the shim's path: a generic prefix gets
// TIMERSEM_REPORT=stderr (the shim writes each line with one write(2), so
// they survive a crash, and travel with the output the prefix returns);
// Slurm's wrapper gives the probe a report file on the node and prints it
// after the probe exits (run/slurm_launcher.h), which also holds the
// reports of processes whose stderr is not the probe's (ctest's tests).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "run/probe.h"

namespace timerbisect::run {

// `env NAME=VALUE... CMD ARGS...`: the spec's variables (the last value of
// a name wins, as locally), TIMERSEM_REPORT=`report` unless the spec sets it
// or `report` is empty, then the command (`/bin/sh -c 'ARGS joined'` when spec.shell). Words are
// passed as they are: a prefix that re-parses them with a shell (ssh) sees
// them split at spaces.
std::vector<std::string> RemoteCommand(const ProbeSpec& spec, const std::string& report);

// True for a line the shim wrote for the driver: a match report
// ("[bisect-match ...") or one of its own "timerbisect: " lines.
bool IsShimLine(std::string_view line);

// The prefix of a report line a wrapper copied from a report file into the
// output.
inline constexpr char kReportLinePrefix[] = "timerbisect-report: ";

// Moves the shim's lines (and the wrapper's report lines, without their
// prefix) from out.output to the end of out.report, so --fail-on and -v
// see the target's output only.
void SeparateReports(ProbeOutput& out);

}  // namespace timerbisect::run
