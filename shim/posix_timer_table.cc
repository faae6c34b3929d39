#include "posix_timer_table.h"

#include "signal_stale.h"
#include "timespec.h"
#include "watch.h"

namespace timerbisect::shim {
namespace {

constexpr std::size_t kTimerSlots = 4096;
TimerSlot g_timers[kTimerSlots];

std::size_t HomeSlot(timer_t timer) {
  // timer_t is pointer-sized: a small kernel ID for signal timers, a
  // shifted heap address for SIGEV_THREAD ones. Fibonacci hashing spreads
  // both.
  std::uint64_t k = reinterpret_cast<std::uintptr_t>(timer);
  return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> 52) % kTimerSlots;
}

}  // namespace

void ForgetPosixTimer(timer_t timer) {
  auto key = reinterpret_cast<std::uintptr_t>(timer);
  std::size_t i = HomeSlot(timer);
  for (std::size_t probes = 0; probes < kTimerSlots; ++probes, i = (i + 1) % kTimerSlots) {
    std::uint32_t s = g_timers[i].state.load(std::memory_order_acquire);
    if (s == kEmpty) return;
    if (s == kLive && g_timers[i].key.load(std::memory_order_relaxed) == key) {
      g_timers[i].state.compare_exchange_strong(s, kDead, std::memory_order_acq_rel);
      return;
    }
  }
}

void TrackPosixTimer(timer_t timer, const PosixTimer& t) {
  // A kernel ID is reused after timer_delete; an entry left by a timer the
  // shim did not see die (deleted through the old ABI, say) must go.
  ForgetPosixTimer(timer);
  std::size_t i = HomeSlot(timer);
  for (std::size_t probes = 0; probes < kTimerSlots; ++probes, i = (i + 1) % kTimerSlots) {
    TimerSlot& slot = g_timers[i];
    std::uint32_t s = slot.state.load(std::memory_order_acquire);
    if (s != kEmpty && s != kDead) continue;
    if (!slot.state.compare_exchange_strong(s, kBusy, std::memory_order_acq_rel)) continue;
    slot.key.store(reinterpret_cast<std::uintptr_t>(timer), std::memory_order_relaxed);
    slot.meta.store(static_cast<std::uint64_t>(t.mode) |
                        static_cast<std::uint64_t>(t.watched) << 1 |
                        static_cast<std::uint64_t>(t.notify & 0xff) << 8 |
                        static_cast<std::uint64_t>(t.signo & 0xff) << 16 |
                        static_cast<std::uint64_t>(static_cast<std::uint32_t>(t.tid)) << 32,
                    std::memory_order_relaxed);
    slot.value.store(t.value, std::memory_order_relaxed);
    slot.clock.store(t.clock, std::memory_order_relaxed);
    slot.site.store(t.site, std::memory_order_relaxed);
    slot.overrun.store(-1, std::memory_order_relaxed);
    slot.state.store(kLive, std::memory_order_release);
    return;
  }
}

TimerSlot* FindSlot(timer_t timer) {
  auto key = reinterpret_cast<std::uintptr_t>(timer);
  std::size_t i = HomeSlot(timer);
  for (std::size_t probes = 0; probes < kTimerSlots; ++probes, i = (i + 1) % kTimerSlots) {
    TimerSlot& slot = g_timers[i];
    std::uint32_t s = slot.state.load(std::memory_order_acquire);
    if (s == kEmpty) return nullptr;
    if (s == kLive && slot.key.load(std::memory_order_relaxed) == key) return &slot;
  }
  return nullptr;
}

PosixTimer LookupPosixTimer(timer_t timer) {
  const TimerSlot* found = FindSlot(timer);
  if (found == nullptr) return {};
  const TimerSlot& slot = *found;
  std::uint64_t meta = slot.meta.load(std::memory_order_relaxed);
  PosixTimer t;
  t.watched = (meta & 2) != 0;
  t.tracked = !t.watched;  // a watched timer keeps native semantics
  t.site = slot.site.load(std::memory_order_relaxed);
  t.mode = static_cast<Mode>(meta & 1);
  t.notify = static_cast<int>((meta >> 8) & 0xff);
  t.signo = static_cast<int>((meta >> 16) & 0xff);
  t.tid = static_cast<pid_t>(meta >> 32);
  t.value = slot.value.load(std::memory_order_relaxed);
  t.clock = slot.clock.load(std::memory_order_relaxed);
  return t;
}

void ForEachWatchedPosixTimer(void (*fn)(std::uint64_t site, bool armed)) {
  for (const TimerSlot& slot : g_timers) {
    if (slot.state.load(std::memory_order_acquire) != kLive) continue;
    if ((slot.meta.load(std::memory_order_relaxed) & 2) == 0) continue;
    itimerspec cur;
    auto timer = reinterpret_cast<timer_t>(slot.key.load(std::memory_order_relaxed));
    bool armed = ::timer_gettime(timer, &cur) == 0 && ToNs(cur.it_value) != 0;
    fn(slot.site.load(std::memory_order_relaxed), armed);
  }
}

void ForgetPosixTimersAfterFork() {
  // The child is single-threaded here; nothing races with the reset.
  for (TimerSlot& slot : g_timers) slot.state.store(kEmpty, std::memory_order_relaxed);
}

}  // namespace timerbisect::shim
