// timerfd: stale expirations and short-timer latency.
//
// stale, old: expirations pending before a re-arm or disarm stay readable.
//   The kernel discards them on every timerfd_settime (fs/timerfd.c resets
//   ctx->ticks), so the shim reads the pending count from
//   /proc/self/fdinfo/FD ("ticks:") first, re-arms, then adds it back with
//   the TFD_IOC_SET_TICKS ioctl (Linux 3.17+, CONFIG_CHECKPOINT_RESTORE),
//   which makes it visible to read, poll and epoll alike. The ioctl sets,
//   not adds: the shim sets the kept count plus whatever the new arming
//   produced meanwhile (a deadline already past expires inside the call).
//   An expiration due within the lag window counts as already fired: the
//   async-send race of Go's old timers, made deterministic. One rule
//   throughout: an expiration counted as fired is reported as fired, so the
//   call's old_value says so too (it_value 0 for a one-shot timer; the time
//   to the expiry after it for a periodic one), exactly as old Go's Stop
//   returned false once the send had happened. A call that says "pending"
//   is never followed by an expiration of the old setting.
//   Deliberate differences: on a kernel without the ioctl the owed ticks
//   are dropped (the call behaves natively) and the shim says so once on
//   stderr; a tick of the new arming that lands between reading the count
//   and setting it (microseconds) is overwritten.
// stale, new: the kernel's own behaviour (pending expirations discarded),
//   and, as Go 1.23's Stop and Reset, a call that discards an expiration
//   the program has not read reports the timer as pending (old_value
//   it_value 1 ns where the kernel says 0): "not pending" means the
//   program has read the value, so `if !stopped { read }` never blocks.
// latency (relative or absolute expiry within TIMERSEM_SHORT):
//   old: armed for max(request, TIMERSEM_LAG) from now, never earlier than
//   asked; an absolute arming stays absolute (now + lag on its own clock)
//   with all its flags, so TFD_TIMER_CANCEL_ON_SET still cancels on a clock
//   change;
//   new: already expired when timerfd_settime returns (the shim waits for
//   the tick, at most a short interval plus a margin).
//
// timerfd_gettime and read need nothing: the kernel's answers already
// reflect the adjusted arming and the restored ticks.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "fd_table.h"
#include "interceptor.h"
#include "lib_loop.h"
#include "proc_number.h"
#include "timespec.h"
#include "user_pointer.h"
#include "watch.h"
#include "watched_setting.h"

namespace timerbisect::shim {

TB_REAL(timerfd_create)
TB_REAL(timerfd_settime)
TB_REAL(timerfd_gettime)
TB_REAL(poll)

namespace {

// From <linux/timerfd.h>, which cannot be included beside glibc's <fcntl.h>.
constexpr unsigned long kTfdIocSetTicks = _IOW('T', 0, std::uint64_t);

// Says on stderr, once a process, why old cannot keep stale expirations.
template <std::size_t N>
void SayOnce(std::atomic<bool>& said, const char (&line)[N]) {
  if (!said.exchange(true)) syscall(SYS_write, 2, line, N - 1);
}

// Pending expirations of a timerfd, from procfs, without consuming them.
// procfs costs microseconds, so a zero-timeout poll asks first whether
// there is anything pending at all.
// Without procfs (a chroot, a sandbox) the count cannot be read without
// consuming it: the expiration is lost, as natively, and said once (it was
// lost without a word: audit 26).
std::uint64_t PendingTicks(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (real_poll(&p, 1, 0) != 1) return 0;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  if (std::optional<std::uint64_t> ticks = ProcNumber(path, "ticks:")) return *ticks;
  static std::atomic<bool> said{false};
  SayOnce(said,
          "timerbisect: /proc/self/fdinfo cannot be read here; stale timerfd expirations cannot "
          "be kept (old mode behaves natively for them)\n");
  return 0;
}

// True if the timer is armed and would fire within `lag_ns`.
bool DueWithin(int fd, std::int64_t lag_ns) {
  itimerspec cur;
  if (real_timerfd_gettime(fd, &cur) != 0) return false;
  std::int64_t remaining = ToNs(cur.it_value);
  return remaining > 0 && remaining <= lag_ns;
}

// True if the timerfd is armed or holds an unread expiration: a re-arm or
// disarm may discard an expiration the program has not read (an armed
// timer may fire before the call reaches the kernel).
bool ArmedOrReadable(int fd) {
  itimerspec cur;
  if (real_timerfd_gettime(fd, &cur) == 0 && ToNs(cur.it_value) != 0) return true;
  pollfd p{fd, POLLIN, 0};
  return real_poll(&p, 1, 0) == 1;
}

// Adds `owed` expirations to what the timerfd holds now (the ioctl sets the
// count, and the new arming may have expired already).
void RestoreTicks(int fd, std::uint64_t owed) {
  static std::atomic<bool> said{false};
  std::uint64_t ticks = owed + PendingTicks(fd);
  if (ioctl(fd, kTfdIocSetTicks, &ticks) == 0) return;
  SayOnce(said,
          "timerbisect: this kernel lacks TFD_IOC_SET_TICKS; stale timerfd expirations cannot be "
          "kept (old mode behaves natively for them)\n");
}

// Waits until the timerfd has expired; the request was short, so this is
// short too. Bounded in case the clock was changed under us.
void WaitForExpiry(int fd, std::int64_t bound_ns) {
  std::int64_t deadline = MonotonicNs() + bound_ns;
  pollfd p{fd, POLLIN, 0};
  while (real_poll(&p, 1, 0) == 0 && MonotonicNs() < deadline) sched_yield();
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int timerfd_create(int clock, int flags) {
  if (!ShimActive()) return real_timerfd_create(clock, flags);
  int fd = real_timerfd_create(clock, flags);
  if (fd < 0) return fd;
  // A fresh number: an entry left for it belongs to a descriptor closed
  // where the shim could not see (syscall(SYS_close), glibc's fclose), and
  // must not give this timer a dead one's mode when it does not count.
  ForgetFd(fd);
  // sd-event's own per-clock timerfd, whose timers are sites (lib_loop.h).
  if (LoopOwnsTimerfd(__builtin_return_address(0))) return fd;
  {
    ShimScope scope;
    SiteDecision site = DecideSite(Api::kTimerfdCreate);
    if (site.counts) {
      TrackTimerFd(fd, site.mode, clock);
    } else if (site.watched) {
      WatchTimerFd(fd, site.id, clock);
    }
  }
  return fd;
}

TB_EXPORT int timerfd_settime(int fd, int flags, const itimerspec* new_value,
                              itimerspec* old_value) {
  if (!ShimActive()) return real_timerfd_settime(fd, flags, new_value, old_value);
  TimerFdEntry timer = LookupTimerFd(fd);
  if (!timer.tracked || !MayBeUserMemory(new_value) || !ValidItimerspec(*new_value)) {
    if (timer.watched && MayBeUserMemory(new_value)) {
      return WatchedSetting(timer.site, timer.clock, (flags & TFD_TIMER_ABSTIME) != 0, new_value,
                            old_value, [&](itimerspec* previous) {
                              return real_timerfd_settime(fd, flags, new_value, previous);
                            });
    }
    return real_timerfd_settime(fd, flags, new_value, old_value);
  }
  const Config& cfg = GetConfig();
  itimerspec request = *new_value;
  std::uint64_t owed_ticks = 0;
  bool counted_as_fired = false;    // old: due within the lag
  bool may_discard_unread = false;  // new: an unread expiration may go
  bool wait_for_expiry = false;
  {
    ShimScope scope;
    if ((cfg.aspects & kAspectStale) && timer.mode == Mode::kOld) {
      counted_as_fired = DueWithin(fd, cfg.lag_ns);
      owed_ticks = PendingTicks(fd) + (counted_as_fired ? 1 : 0);
    } else if ((cfg.aspects & kAspectStale) && old_value != nullptr) {
      may_discard_unread = ArmedOrReadable(fd);
    }
    bool arming = request.it_value.tv_sec != 0 || request.it_value.tv_nsec != 0;
    std::int64_t remaining =
        arming ? RequestedRemainingNs(request, (flags & TFD_TIMER_ABSTIME) != 0, timer.clock) : 0;
    if ((cfg.aspects & kAspectLatency) && arming && IsShort(remaining, cfg.short_ns)) {
      if (timer.mode == Mode::kNew) {
        wait_for_expiry = true;
      } else {
        ArmNoEarlierThanLag(request, flags, TFD_TIMER_ABSTIME, timer.clock, remaining, cfg.lag_ns);
      }
    }
  }
  int result = real_timerfd_settime(fd, flags, &request, old_value);
  if (result != 0) return result;
  {
    ShimScope scope;
    if (owed_ticks > 0) RestoreTicks(fd, owed_ticks);
    if (old_value != nullptr && counted_as_fired) ReportFired(*old_value, cfg.lag_ns);
    if (old_value != nullptr && may_discard_unread && ToNs(old_value->it_value) == 0) {
      old_value->it_value = timespec{0, 1};  // discarded unread: still pending
    }
    if (wait_for_expiry) WaitForExpiry(fd, cfg.short_ns + 10'000'000);
  }
  return result;
}
