// What a finished srun says about its probe, read from its output: srun's
// and slurmstepd's own lines and the wrapper's lines (run/remote_command.h)
// are taken out of it (so --fail-on and -v see the target's output only),
// and turn into where it ran, a lost run, a signal, or a time limit.
#pragma once

#include "run/probe.h"

namespace timerbisect::run {

// Interprets `out`, the result of one `srun ... wrapper ... probe` run:
//  - where: the node of the wrapper's line;
//  - timed out by our --timeout (out.timed_out already) before that line
//    came: lost (it was still queued), not a timeout of the target;
//  - "DUE TO TIME LIMIT" (srun --time): a timeout;
//  - no node line, a cancelled job or step, a node failure, a revoked
//    allocation: lost, with srun's first error line as the reason;
//  - exit 128+N with srun's "task 0: <strsignal(N)>": death by signal N.
// The wrapper's node and report lines go to out.where and out.report.
void InterpretSrunOutput(ProbeOutput& out);

}  // namespace timerbisect::run
