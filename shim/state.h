// The shim's process-wide state and the one-line prologue every interceptor
// starts with. See interceptor.h for how to add an interceptor.
#pragma once

#include <atomic>
#include <cstdint>

#include "config.h"
#include "guard.h"

namespace timerbisect::shim {

enum class ShimState : int { kUninitialized, kInitializing, kInert, kActive };

extern std::atomic<ShimState> g_state;

// Runs initialization once (lazily, from whichever call comes first, even
// before constructors). No pthread_once: it deadlocks when initialization
// re-enters; instead an atomic state, and re-entrant calls pass through.
ShimState InitSlow();

inline ShimState EnsureInit() {
  ShimState s = g_state.load(std::memory_order_acquire);
  return s >= ShimState::kInert ? s : InitSlow();
}

// The inert check every interceptor starts with: false when the call must go
// straight to libc (shim inert, or the shim's own machinery is calling).
inline bool ShimActive() {
  if (t_in_shim) return false;
  return EnsureInit() == ShimState::kActive;
}

// The parsed configuration; valid once ShimActive() returned true.
const Config& GetConfig();

// The file descriptor match reports go to (the report file or 2). Checked
// to be still the report file (a program's closefrom, or a raw close_range,
// can close it and hand its number to a file of the program's own): if it
// is not, the report file is opened again; -1 if it cannot be.
int ReportFd();
// True for the shim's own report file: a program's close, close_range,
// dup2 or dup3 must not take it (a program that closes every descriptor at
// start would otherwise get it reused, and find reports in its own files).
bool IsReportFile(int fd);
// Moves the report file to another descriptor number, before a program's
// dup2/dup3 takes its number.
void MoveReportFd();

// True in a process the shim's per-process state does not belong to: a
// child no fork handler ran in, i.e. a vfork child (which shares this
// memory: it must not change the parent's tables) or an _Fork child (its
// copy of the state is the parent's: counts and tables are not its own).
// One getpid system call: call it only where state would change.
bool InForeignProcess();

// Nanoseconds on CLOCK_MONOTONIC.
std::int64_t MonotonicNs();

}  // namespace timerbisect::shim
