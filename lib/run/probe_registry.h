// The process groups of every live local probe, in a fixed array of atomics,
// so a signal handler can kill them all without locks or allocation
// (signal-safety(7)). Internal to lib/run: LocalLauncher fills it,
// InterruptGuard's handler empties it by force.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace timerbisect::run::registry {

inline constexpr std::size_t kMaxProbes = 1024;

// A spawn in progress: while one lives, the handler waits before killing, so
// a child forked but not yet registered is not missed. Construct it with
// SIGINT, SIGTERM and SIGHUP blocked in the calling thread, so the handler
// never runs on the thread it would wait for.
class SpawnSection {
 public:
  SpawnSection();
  ~SpawnSection();
  SpawnSection(const SpawnSection&) = delete;
  SpawnSection& operator=(const SpawnSection&) = delete;

  // False if an interrupt already began: spawn nothing new.
  bool allowed() const { return allowed_; }

 private:
  bool allowed_;
};

// Reserves a slot for a probe about to be spawned; -1 if all are taken.
int Reserve();
// Records the probe's process group, and its directory for the handler to
// remove, in its reserved slot.
void Fill(int slot, pid_t pgid, const char* dir);
// Frees the slot. Call before reaping the group leader: after that its pid
// may be reused, and the handler must not kill a stranger's group.
void Release(int slot);

// Async-signal-safe. Marks the process as interrupted (no new spawns), waits
// for spawns in progress, sends SIGKILL to every registered group, removes
// their directories (best effort) and returns how many groups were still there.
int StopAllForInterrupt();

}  // namespace timerbisect::run::registry
