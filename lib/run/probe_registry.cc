#include "run/probe_registry.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "run/probe_reaper.h"
#include "run/process_tree.h"
#include "run/scratch.h"

namespace timerbisect::run::registry {
namespace {

static_assert(std::atomic<pid_t>::is_always_lock_free, "read by the interrupt, lock-free");
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

// 0: free; kReserved: a spawn is in progress; >0: a live probe's pgid.
constexpr pid_t kReserved = -1;
std::atomic<pid_t> slots[kMaxProbes];
// Each probe's directory, written by the slot's owner before it publishes
// the pgid. The interrupt reads it only after new spawns are refused, so no
// slot is reserved (and its directory rewritten) while it reads.
constexpr std::size_t kMaxDirBytes = 512;
char dirs[kMaxProbes][kMaxDirBytes];
std::atomic<int> spawning{0};
std::atomic<bool> interrupted{false};

}  // namespace

// seq_cst on both sides (Dekker): either the interrupt sees our increment and
// waits for it, or we see its flag and do not spawn.
SpawnSection::SpawnSection() {
  spawning.fetch_add(1);
  allowed_ = !interrupted.load();
}

SpawnSection::~SpawnSection() {
  spawning.fetch_sub(1);
}

int Reserve() {
  reaper::Start();  // before the first probe; a no-op after
  for (std::size_t i = 0; i < kMaxProbes; ++i) {
    pid_t expected = 0;
    if (slots[i].compare_exchange_strong(expected, kReserved)) return static_cast<int>(i);
  }
  return -1;
}

void Fill(int slot, pid_t pgid, const char* dir) {
  // Room for "/report" too; a longer path is simply not cleaned up on Ctrl-C.
  std::size_t n = std::strlen(dir);
  std::size_t copied = n + sizeof "/" + sizeof kReportFileName <= kMaxDirBytes ? n : 0;
  std::memcpy(dirs[slot], dir, copied);
  dirs[slot][copied] = '\0';
  slots[slot].store(pgid);
  reaper::Track(pgid);
}

void Release(int slot) {
  pid_t pgid = slots[slot].exchange(0);
  if (pgid > 0) reaper::Forget(pgid);
}

bool Interrupted() {
  return interrupted.load();
}

void AwaitInterruptExit() {
  for (;;) pause();
}

int StopAllForInterrupt() {
  interrupted.store(true);
  // A spawn takes milliseconds (posix_spawn returns once the child has
  // exec'd); bound the wait anyway, so a stuck thread cannot keep the
  // driver from exiting.
  for (int i = 0; spawning.load() > 0 && i < 5000; ++i) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, nullptr);
  }
  // Which groups were killed, remembered: the launcher's thread may release
  // their slots as soon as the leaders die, before the directories go.
  bool was_live[kMaxProbes];
  int killed = 0;
  for (std::size_t i = 0; i < kMaxProbes; ++i) {
    pid_t pgid = slots[i].load();
    was_live[i] = pgid > 0;
    // With what the probe started outside its group (a `setsid` child):
    // this runs on the interrupt guard's thread, not in a signal handler.
    if (was_live[i] && kill(-pgid, 0) == 0) {
      KillProcessTree(pgid);
      ++killed;
    }
  }
  // What ~LocalLauncher would have removed. SIGKILL'd processes write nothing
  // more; a file one was still creating just makes rmdir fail.
  for (std::size_t i = 0; i < kMaxProbes; ++i) {
    if (!was_live[i] || dirs[i][0] == '\0') continue;
    char report[kMaxDirBytes];
    std::size_t n = std::strlen(dirs[i]);
    std::memcpy(report, dirs[i], n);
    report[n] = '/';
    std::memcpy(report + n + 1, kReportFileName, sizeof kReportFileName);
    unlink(report);
    rmdir(dirs[i]);
  }
  return killed;
}

}  // namespace timerbisect::run::registry
