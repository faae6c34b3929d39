// The process groups of every live local probe, in a fixed array of atomics,
// so an interrupt can kill them all without locks or allocation, even from
// a signal handler (signal-safety(7)). Internal to lib/run: LocalLauncher
// fills it, InterruptGuard's thread empties it by force.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace timerbisect::run::registry {

inline constexpr std::size_t kMaxProbes = 1024;

// A spawn in progress: while one lives, StopAllForInterrupt waits before
// killing, so a child forked but not yet registered is not missed.
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

// Called on the interrupt guard's thread (run/interrupt.h), never in a
// signal handler: it reads /proc. Marks the process as interrupted (no new
// spawns), waits for spawns in progress, kills every registered group with
// what it started outside the group (run/process_tree.h), removes their
// directories (best effort) and returns how many groups were still there.
// The caller then exits the process.
int StopAllForInterrupt();

// Whether StopAllForInterrupt has begun.
bool Interrupted();

// For a thread that finds the process interrupted: waits, never returning,
// for the interrupt's thread to exit the process, so that no probe it
// killed is reported as a result, nor any error printed.
[[noreturn]] void AwaitInterruptExit();

}  // namespace timerbisect::run::registry
