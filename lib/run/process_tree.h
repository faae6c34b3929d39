// Killing a probe with everything it started, found by /proc's parent links.
//
// A probe runs in its own process group, and killing the group is enough for
// most tests. A runner that starts its test with `setsid -w ./test`, or a
// test harness that gives each test a session of its own, puts the test
// outside the group; killing the group at the timeout would orphan it, and
// it would run on (one left behind per probe). While the probe's leader is
// alive its descendants still link to it, so they can be found and killed.
// A daemon that has already left (its parent exited, so it now links to
// init) is not found: it is left running, as running the command by hand
// would leave it.
#pragma once

#include <sys/types.h>

namespace timerbisect::run {

// The processes in group `leader` or below `leader` by parent links, once
// stopped (SIGSTOP, so none can fork while they are gathered), then killed
// with SIGKILL.
void KillProcessTree(pid_t leader);

}  // namespace timerbisect::run
