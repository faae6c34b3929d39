// Site identity: which timer call site is calling, and its mode.
//
// A site ID is the FNV-1a 64 hash of up to TIMERSEM_DEPTH return addresses,
// each normalized to (module file name, offset in module), so the same code
// path gets the same ID in every run (ASLR), thread and process. The shim's
// own frames are skipped. Decisions are cached by a hash of the raw return
// addresses, so a warm site costs one stack walk and one table probe.
#pragma once

#include <cstdint>

#include "config.h"

namespace timerbisect::shim {

// The intercepted API a site calls; its name appears in match reports.
enum class Api : std::uint8_t {
  kTimerfdCreate,
  kTimerCreate,
  kSetitimer,
  kAlarm,
  kUalarm,
  kNanosleep,
  kClockNanosleep,
  kUsleep,
  kSleep,
  kThrdSleep,
  kPoll,
  kPpoll,
  kSelect,
  kPselect,
  kEpollWait,
  kEpollPwait,
  kEpollPwait2,
  kCondTimedwait,
  kCondClockwait,
  kCndTimedwait,
  kSemTimedwait,
  kSemClockwait,
  kMutexTimedlock,
  kMutexClocklock,
  kMtxTimedlock,
  kFutexWait,
  kRwlockTimedlock,
  kRwlockClocklock,
  kTimedjoin,
  kMqTimedsend,
  kMqTimedreceive,
  kSigtimedwait,
  kSocketTimeout,
  kUvTimerStart,
  kUvTimerAgain,
  kGTimeoutAdd,
  kGTimeoutAddFull,
  kGTimeoutAddOnce,
  kGTimeoutAddSeconds,
  kGTimeoutAddSecondsFull,
  kGTimeoutSourceNew,
  kGTimeoutSourceNewSeconds,
  kGSourceSetReadyTime,
  kEventAdd,
  kSdEventAddTime,
  kSdEventAddTimeRelative,
  kSdEventSourceSetTime,
  kSdEventSourceSetTimeRelative,
};

const char* ApiName(Api api);

// A wait (a sleep, poll, timed lock, join or receive): its one aspect is
// latency, which changes only short waits. Otherwise a timer object (a
// timerfd, POSIX timer, interval timer, library timer), whose re-arms the
// stale aspect changes whatever their length. Reports say which ("kind="),
// so the driver's `sites` needs no list of its own.
bool IsWaitApi(Api api);

struct SiteDecision {
  bool counts = false;  // false: out of TIMERSEM_SCOPE or watch mode; the call stays native
  Mode mode = Mode::kNew;
  bool report = false;  // the pattern reports this site
  // Watch mode (TIMERSEM=watch) and in scope: counts is false, and the
  // caller counts the call in the site's watch counters (watch.h).
  bool watched = false;
  std::uint64_t id = 0;
};

// Walks the caller's stack and decides the site's mode, reporting the site
// the first time this process sees it when the pattern says so (in watch
// mode: every site in scope, with its frames). Call with the reentrancy
// guard held.
//
// `lost_caller`, when set, is a function that stands in for a caller frame
// the stack no longer has (a library timer armed by a tail call from a
// callback, lib_loop.h): it becomes the site's first frame, so it is part
// of the ID, of the scope match and of the reported stack. It is recorded
// one byte past the function's entry, as if it were a return address into
// it, because symbolizers look up a return address one byte back.
SiteDecision DecideSite(Api api, const void* lost_caller = nullptr);

void InitSites(const Config& config);
// In a fork child: report every site again (reports are per process).
void ResetSitesAfterFork();

// Called before and after each dlclose: cached decisions keyed by raw
// addresses are no longer found (another library may load at the same
// addresses).
void NoteLibraryUnloading();

// Runs the unwinder's one-time setup (at initialization).
void WarmUpStackWalks();

// True when `pc` lies in the shim's own module.
bool InShim(const void* pc);

}  // namespace timerbisect::shim
