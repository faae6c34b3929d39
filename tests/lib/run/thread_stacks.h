// The user-space stack of every thread of a live process, symbolized with
// libdw, for the failure message of a test whose child is stuck.
#pragma once

#include <sys/types.h>

#include <string>

namespace timerbisect::run {

// One line per frame ("    #3 0x... name+0x1c"), under a line per thread;
// the process is ptrace-attached while it is read and detached after. Says
// why instead when it cannot (no permission, the process is gone).
// At most max_frames frames per thread.
std::string ThreadStacks(pid_t pid, int max_frames = 24);

}  // namespace timerbisect::run
