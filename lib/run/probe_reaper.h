// No probe outlives the driver, even a driver killed with SIGKILL.
//
// Probes run in process groups of their own (so a timeout or Ctrl-C reaches
// their children), which also means nothing kills them when the driver
// dies. So the driver starts, before its first probe, one small process of
// its own: the reaper. It is told each probe's process group as the probe
// starts and forgets it once the probe is done, over a socket whose other
// end only the driver holds. When the driver is gone, by exit or by any
// signal, the socket reads end-of-file and the reaper SIGKILLs every group
// it still knows, then exits. It sits in a group of its own, ignoring the
// terminal's signals, so the same kill that takes the driver's group (a
// test harness, a CI runner) does not take it too.
//
// A process that left its probe's group (setsid, a daemon) is not a probe
// any more: it is not killed, as before.
//
// Probes on a cluster are not in any local group: their srun is, but a
// killed srun leaves its job behind. So a launcher can also give the
// reaper one shell command (SetCleanup: "cancel every job of this driver"),
// which it runs with /bin/sh -c after killing the groups.
#pragma once

#include <sys/types.h>

#include <string>

namespace timerbisect::run::reaper {

// Starts the reaper if it is not running (once per driver process; again in
// a fork child that spawns probes of its own). Thread-safe.
void Start();
// Async-signal-safe, one send each; no effect if the reaper could not start.
void Track(pid_t pgid);
void Forget(pid_t pgid);
// Starts the reaper if needed and gives it the command to run once the
// driver is gone (the last one given wins; at most 4000 bytes, longer is
// ignored). Thread-safe.
void SetCleanup(const std::string& shell_command);

}  // namespace timerbisect::run::reaper
