// Timed waits with an absolute deadline: condition variables, semaphores,
// timed mutexes and their C11 forms. Only the latency aspect applies.
//
// latency (deadline at most TIMERSEM_SHORT from now, or already past):
//   old: the deadline is pushed out to now + TIMERSEM_LAG on the deadline's
//        clock, so a signal, post or unlock arriving meanwhile wins;
//   new: the deadline is treated as now: the real function gets a deadline
//        already past (the epoch of its clock). glibc still takes what is
//        free before it looks at the clock: sem_timedwait tries the
//        semaphore first (__new_sem_wait_fast), pthread_mutex_timedlock
//        tries the lock first (lll_clocklock's CAS, or the kernel's
//        FUTEX_LOCK_PI attempt), and a condvar waiter consumes a signal
//        that is already there; otherwise ETIMEDOUT at once. So "acquire if
//        possible, else time out" is the real function's own behaviour.
//
// Deadlines glibc rejects (tv_nsec outside [0, 1e9)) and negative ones pass
// through unchanged, so EINVAL and ETIMEDOUT stay glibc's answers. Return
// conventions are the real function's: we only swap the deadline.
//
// Clocks: pthread_cond_timedwait uses the condvar's clock attribute (see
// CondClock); *_clockwait and *_clocklock name the clock; sem_timedwait,
// pthread_mutex_timedlock, cnd_timedwait and mtx_timedlock use
// CLOCK_REALTIME (C11's TIME_UTC).
//
// glibc exports each of these in two versions (objdump -T libc.so.6): the
// 2.34 ones are the 2.2.5/2.28/2.30 ones moved from libpthread into libc,
// except pthread_cond_timedwait@GLIBC_2.2.5, the pre-2.3.2 condvar ABI (a
// pointer to a lazily allocated condvar). Each version has its own
// interceptor forwarding to exactly that version.
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <threads.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "interceptor.h"
#include "timespec.h"
#include "watch.h"

namespace timerbisect::shim {

TB_REAL_VERSIONED(pthread_cond_timedwait, v2_3_2, "GLIBC_2.3.2")
TB_REAL_VERSIONED(pthread_cond_timedwait, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED(pthread_cond_clockwait, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(pthread_cond_clockwait, v2_30, "GLIBC_2.30")
TB_REAL_VERSIONED(cnd_timedwait, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(cnd_timedwait, v2_28, "GLIBC_2.28")
TB_REAL_VERSIONED(sem_timedwait, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(sem_timedwait, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED(sem_clockwait, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(sem_clockwait, v2_30, "GLIBC_2.30")
TB_REAL_VERSIONED(pthread_mutex_timedlock, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(pthread_mutex_timedlock, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED(pthread_mutex_clocklock, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(pthread_mutex_clocklock, v2_30, "GLIBC_2.30")
TB_REAL_VERSIONED(mtx_timedlock, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(mtx_timedlock, v2_28, "GLIBC_2.28")
TB_REAL_VERSIONED(pthread_rwlock_timedrdlock, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(pthread_rwlock_timedrdlock, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED(pthread_rwlock_timedwrlock, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(pthread_rwlock_timedwrlock, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED(pthread_rwlock_clockrdlock, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(pthread_rwlock_clockrdlock, v2_30, "GLIBC_2.30")
TB_REAL_VERSIONED(pthread_rwlock_clockwrlock, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(pthread_rwlock_clockwrlock, v2_30, "GLIBC_2.30")
TB_REAL_VERSIONED(pthread_timedjoin_np, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(pthread_timedjoin_np, v2_3_3, "GLIBC_2.3.3")
TB_REAL_VERSIONED(mq_timedsend, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(mq_timedsend, v2_3_4, "GLIBC_2.3.4")
TB_REAL_VERSIONED(mq_timedreceive, v2_34, "GLIBC_2.34")
TB_REAL_VERSIONED(mq_timedreceive, v2_3_4, "GLIBC_2.3.4")

namespace {

// A deadline every clock has already passed: "time out now, unless the
// resource is free".
constexpr timespec kAlreadyPast{0, 0};

// The latency aspect for an absolute deadline on `clock`: returns what to
// pass to the real function, `abstime` itself when nothing changes, else
// `storage`. The site is decided only for short deadlines, so only sites the
// toggle can change are reported (and warm long waits cost no stack walk).
const timespec* AdjustDeadline(Api api, clockid_t clock, const timespec* abstime,
                               timespec& storage) {
  const Config& cfg = GetConfig();
  if (cfg.watch) {
    if (ValidTimespecAt(abstime) && (clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC)) {
      WatchTimedCall(api, ToNs(*abstime) - ClockNowNs(clock));
    }
    return abstime;
  }
  if (!(cfg.aspects & kAspectLatency) || !ValidTimespecAt(abstime)) return abstime;
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return abstime;  // glibc: EINVAL
  const timespec* result = abstime;
  {
    ShimScope scope;
    std::int64_t now_ns = ClockNowNs(clock);
    std::int64_t deadline_ns = ToNs(*abstime);
    if (IsShort(deadline_ns - now_ns, cfg.short_ns)) {
      SiteDecision site = DecideSite(api);
      if (site.counts) {
        // Old never shortens a wait: a lag below the request keeps it.
        storage = site.mode == Mode::kOld ? FromNs(std::max(deadline_ns, now_ns + cfg.lag_ns))
                                          : kAlreadyPast;
        // New: to this thread, the wait took its whole timeout (clock_ahead.h).
        if (site.mode == Mode::kNew) PutClockAhead(deadline_ns - now_ns);
        result = &storage;
      }
    }
  }
  return result;
}

// --- The clock of a condvar -------------------------------------------------
//
// pthread_cond_t is opaque and POSIX has no getter for a condvar's clock
// (only for an attribute object). glibc's condvar (2.25+, nptl/
// pthread_cond_common.c) keeps it in bit 1 of __data.__wrefs, which its own
// pthread_cond_timedwait reads; the field is in the public
// bits/thread-shared-types.h. Rather than trust the layout blindly, the
// first call probes it: a condvar initialized with each clock must show the
// bit accordingly. If the running glibc disagrees, the clock is inferred
// from the deadline instead (CondClockFromDeadline).
constexpr unsigned kWrefsClockMonotonic = 2;

enum class WrefsProbe : int { kUnknown, kUsable, kUnusable };
std::atomic<WrefsProbe> g_wrefs_probe{WrefsProbe::kUnknown};

unsigned Wrefs(const pthread_cond_t* cond) {
  return __atomic_load_n(&cond->__data.__wrefs, __ATOMIC_RELAXED);
}

bool WrefsShowsClock() {
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0) return false;
  bool usable = true;
  for (clockid_t clock : {CLOCK_REALTIME, CLOCK_MONOTONIC}) {
    pthread_cond_t cond;
    if (pthread_condattr_setclock(&attr, clock) != 0 || pthread_cond_init(&cond, &attr) != 0) {
      usable = false;
      break;
    }
    bool monotonic = (Wrefs(&cond) & kWrefsClockMonotonic) != 0;
    pthread_cond_destroy(&cond);
    if (monotonic != (clock == CLOCK_MONOTONIC)) usable = false;
  }
  pthread_condattr_destroy(&attr);
  return usable;
}

// Deliberate difference (fallback only): the clock whose "now" is nearer the
// deadline. CLOCK_REALTIME counts from 1970 and CLOCK_MONOTONIC from boot,
// decades apart, so a deadline near one is far from the other.
clockid_t CondClockFromDeadline(const timespec& abstime) {
  std::int64_t deadline_ns = ToNs(abstime);
  std::int64_t to_realtime = deadline_ns - ClockNowNs(CLOCK_REALTIME);
  std::int64_t to_monotonic = deadline_ns - ClockNowNs(CLOCK_MONOTONIC);
  if (to_realtime < 0) to_realtime = -to_realtime;
  if (to_monotonic < 0) to_monotonic = -to_monotonic;
  return to_monotonic < to_realtime ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

clockid_t CondClock(const pthread_cond_t* cond, const timespec* abstime) {
  WrefsProbe probe = g_wrefs_probe.load(std::memory_order_acquire);
  if (probe == WrefsProbe::kUnknown) {
    {
      ShimScope scope;
      probe = WrefsShowsClock() ? WrefsProbe::kUsable : WrefsProbe::kUnusable;
    }
    g_wrefs_probe.store(probe, std::memory_order_release);
  }
  if (probe == WrefsProbe::kUsable) {
    return (Wrefs(cond) & kWrefsClockMonotonic) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
  }
  return ValidTimespecAt(abstime) ? CondClockFromDeadline(*abstime) : CLOCK_REALTIME;
}

}  // namespace
}  // namespace timerbisect::shim

using namespace timerbisect::shim;

// --- pthread_cond_timedwait -------------------------------------------------

TB_EXPORT int tb_pthread_cond_timedwait_v2_3_2(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                               const timespec* abstime) {
  if (!ShimActive()) return real_pthread_cond_timedwait_v2_3_2(cond, mutex, abstime);
  timespec storage;
  const timespec* deadline =
      AdjustDeadline(Api::kCondTimedwait, CondClock(cond, abstime), abstime, storage);
  return real_pthread_cond_timedwait_v2_3_2(cond, mutex, deadline);
}
TB_SYMVER(tb_pthread_cond_timedwait_v2_3_2, "pthread_cond_timedwait@@GLIBC_2.3.2");

// The pre-2.3.2 ABI: `cond` holds only a pointer to a condvar glibc
// allocates on first use with default attributes, and its
// pthread_cond_init@GLIBC_2.2.5 refuses any clock but CLOCK_REALTIME.
TB_EXPORT int tb_pthread_cond_timedwait_v2_2_5(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                               const timespec* abstime) {
  if (!ShimActive()) return real_pthread_cond_timedwait_v2_2_5(cond, mutex, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kCondTimedwait, CLOCK_REALTIME, abstime, storage);
  return real_pthread_cond_timedwait_v2_2_5(cond, mutex, deadline);
}
TB_SYMVER(tb_pthread_cond_timedwait_v2_2_5, "pthread_cond_timedwait@GLIBC_2.2.5");

// --- pthread_cond_clockwait (std::condition_variable on steady_clock) -------

TB_EXPORT int tb_pthread_cond_clockwait_v2_34(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                              clockid_t clock, const timespec* abstime) {
  if (!ShimActive()) return real_pthread_cond_clockwait_v2_34(cond, mutex, clock, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kCondClockwait, clock, abstime, storage);
  return real_pthread_cond_clockwait_v2_34(cond, mutex, clock, deadline);
}
TB_SYMVER(tb_pthread_cond_clockwait_v2_34, "pthread_cond_clockwait@@GLIBC_2.34");

TB_EXPORT int tb_pthread_cond_clockwait_v2_30(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                              clockid_t clock, const timespec* abstime) {
  if (!ShimActive()) return real_pthread_cond_clockwait_v2_30(cond, mutex, clock, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kCondClockwait, clock, abstime, storage);
  return real_pthread_cond_clockwait_v2_30(cond, mutex, clock, deadline);
}
TB_SYMVER(tb_pthread_cond_clockwait_v2_30, "pthread_cond_clockwait@GLIBC_2.30");

// --- cnd_timedwait (glibc calls its internal condvar wait, not ours) --------

TB_EXPORT int tb_cnd_timedwait_v2_34(cnd_t* cond, mtx_t* mutex, const timespec* abstime) {
  if (!ShimActive()) return real_cnd_timedwait_v2_34(cond, mutex, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kCndTimedwait, CLOCK_REALTIME, abstime, storage);
  return real_cnd_timedwait_v2_34(cond, mutex, deadline);
}
TB_SYMVER(tb_cnd_timedwait_v2_34, "cnd_timedwait@@GLIBC_2.34");

TB_EXPORT int tb_cnd_timedwait_v2_28(cnd_t* cond, mtx_t* mutex, const timespec* abstime) {
  if (!ShimActive()) return real_cnd_timedwait_v2_28(cond, mutex, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kCndTimedwait, CLOCK_REALTIME, abstime, storage);
  return real_cnd_timedwait_v2_28(cond, mutex, deadline);
}
TB_SYMVER(tb_cnd_timedwait_v2_28, "cnd_timedwait@GLIBC_2.28");

// --- sem_timedwait, sem_clockwait -------------------------------------------

TB_EXPORT int tb_sem_timedwait_v2_34(sem_t* sem, const timespec* abstime) {
  if (!ShimActive()) return real_sem_timedwait_v2_34(sem, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kSemTimedwait, CLOCK_REALTIME, abstime, storage);
  return real_sem_timedwait_v2_34(sem, deadline);
}
TB_SYMVER(tb_sem_timedwait_v2_34, "sem_timedwait@@GLIBC_2.34");

TB_EXPORT int tb_sem_timedwait_v2_2_5(sem_t* sem, const timespec* abstime) {
  if (!ShimActive()) return real_sem_timedwait_v2_2_5(sem, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kSemTimedwait, CLOCK_REALTIME, abstime, storage);
  return real_sem_timedwait_v2_2_5(sem, deadline);
}
TB_SYMVER(tb_sem_timedwait_v2_2_5, "sem_timedwait@GLIBC_2.2.5");

TB_EXPORT int tb_sem_clockwait_v2_34(sem_t* sem, clockid_t clock, const timespec* abstime) {
  if (!ShimActive()) return real_sem_clockwait_v2_34(sem, clock, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kSemClockwait, clock, abstime, storage);
  return real_sem_clockwait_v2_34(sem, clock, deadline);
}
TB_SYMVER(tb_sem_clockwait_v2_34, "sem_clockwait@@GLIBC_2.34");

TB_EXPORT int tb_sem_clockwait_v2_30(sem_t* sem, clockid_t clock, const timespec* abstime) {
  if (!ShimActive()) return real_sem_clockwait_v2_30(sem, clock, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kSemClockwait, clock, abstime, storage);
  return real_sem_clockwait_v2_30(sem, clock, deadline);
}
TB_SYMVER(tb_sem_clockwait_v2_30, "sem_clockwait@GLIBC_2.30");

// --- pthread_mutex_timedlock, pthread_mutex_clocklock (std::timed_mutex) ----

TB_EXPORT int tb_pthread_mutex_timedlock_v2_34(pthread_mutex_t* mutex, const timespec* abstime) {
  if (!ShimActive()) return real_pthread_mutex_timedlock_v2_34(mutex, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kMutexTimedlock, CLOCK_REALTIME, abstime, storage);
  return real_pthread_mutex_timedlock_v2_34(mutex, deadline);
}
TB_SYMVER(tb_pthread_mutex_timedlock_v2_34, "pthread_mutex_timedlock@@GLIBC_2.34");

TB_EXPORT int tb_pthread_mutex_timedlock_v2_2_5(pthread_mutex_t* mutex, const timespec* abstime) {
  if (!ShimActive()) return real_pthread_mutex_timedlock_v2_2_5(mutex, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kMutexTimedlock, CLOCK_REALTIME, abstime, storage);
  return real_pthread_mutex_timedlock_v2_2_5(mutex, deadline);
}
TB_SYMVER(tb_pthread_mutex_timedlock_v2_2_5, "pthread_mutex_timedlock@GLIBC_2.2.5");

TB_EXPORT int tb_pthread_mutex_clocklock_v2_34(pthread_mutex_t* mutex, clockid_t clock,
                                               const timespec* abstime) {
  if (!ShimActive()) return real_pthread_mutex_clocklock_v2_34(mutex, clock, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kMutexClocklock, clock, abstime, storage);
  return real_pthread_mutex_clocklock_v2_34(mutex, clock, deadline);
}
TB_SYMVER(tb_pthread_mutex_clocklock_v2_34, "pthread_mutex_clocklock@@GLIBC_2.34");

TB_EXPORT int tb_pthread_mutex_clocklock_v2_30(pthread_mutex_t* mutex, clockid_t clock,
                                               const timespec* abstime) {
  if (!ShimActive()) return real_pthread_mutex_clocklock_v2_30(mutex, clock, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kMutexClocklock, clock, abstime, storage);
  return real_pthread_mutex_clocklock_v2_30(mutex, clock, deadline);
}
TB_SYMVER(tb_pthread_mutex_clocklock_v2_30, "pthread_mutex_clocklock@GLIBC_2.30");

// --- mtx_timedlock (glibc calls its internal timedlock, not ours) -----------

TB_EXPORT int tb_mtx_timedlock_v2_34(mtx_t* mutex, const timespec* abstime) {
  if (!ShimActive()) return real_mtx_timedlock_v2_34(mutex, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kMtxTimedlock, CLOCK_REALTIME, abstime, storage);
  return real_mtx_timedlock_v2_34(mutex, deadline);
}
TB_SYMVER(tb_mtx_timedlock_v2_34, "mtx_timedlock@@GLIBC_2.34");

TB_EXPORT int tb_mtx_timedlock_v2_28(mtx_t* mutex, const timespec* abstime) {
  if (!ShimActive()) return real_mtx_timedlock_v2_28(mutex, abstime);
  timespec storage;
  const timespec* deadline = AdjustDeadline(Api::kMtxTimedlock, CLOCK_REALTIME, abstime, storage);
  return real_mtx_timedlock_v2_28(mutex, deadline);
}
TB_SYMVER(tb_mtx_timedlock_v2_28, "mtx_timedlock@GLIBC_2.28");

// --- pthread_rwlock_timed*/clock*lock (std::shared_timed_mutex) -------------
// The same deadline rules as the mutexes: the real function takes the lock
// when it is free before it looks at the clock.

#define TB_RWLOCK_TIMED(fn, suffix, version)                                          \
  TB_EXPORT int tb_##fn##_##suffix(pthread_rwlock_t* lock, const timespec* abstime) { \
    if (!ShimActive()) return real_##fn##_##suffix(lock, abstime);                    \
    timespec storage;                                                                 \
    const timespec* deadline =                                                        \
        AdjustDeadline(Api::kRwlockTimedlock, CLOCK_REALTIME, abstime, storage);      \
    return real_##fn##_##suffix(lock, deadline);                                      \
  }                                                                                   \
  TB_SYMVER(tb_##fn##_##suffix, #fn version);

#define TB_RWLOCK_CLOCK(fn, suffix, version)                                                   \
  TB_EXPORT int tb_##fn##_##suffix(pthread_rwlock_t* lock, clockid_t clock,                    \
                                   const timespec* abstime) {                                  \
    if (!ShimActive()) return real_##fn##_##suffix(lock, clock, abstime);                      \
    timespec storage;                                                                          \
    const timespec* deadline = AdjustDeadline(Api::kRwlockClocklock, clock, abstime, storage); \
    return real_##fn##_##suffix(lock, clock, deadline);                                        \
  }                                                                                            \
  TB_SYMVER(tb_##fn##_##suffix, #fn version);

TB_RWLOCK_TIMED(pthread_rwlock_timedrdlock, v2_34, "@@GLIBC_2.34")
TB_RWLOCK_TIMED(pthread_rwlock_timedrdlock, v2_2_5, "@GLIBC_2.2.5")
TB_RWLOCK_TIMED(pthread_rwlock_timedwrlock, v2_34, "@@GLIBC_2.34")
TB_RWLOCK_TIMED(pthread_rwlock_timedwrlock, v2_2_5, "@GLIBC_2.2.5")
TB_RWLOCK_CLOCK(pthread_rwlock_clockrdlock, v2_34, "@@GLIBC_2.34")
TB_RWLOCK_CLOCK(pthread_rwlock_clockrdlock, v2_30, "@GLIBC_2.30")
TB_RWLOCK_CLOCK(pthread_rwlock_clockwrlock, v2_34, "@@GLIBC_2.34")
TB_RWLOCK_CLOCK(pthread_rwlock_clockwrlock, v2_30, "@GLIBC_2.30")

// --- pthread_timedjoin_np (deadline on CLOCK_REALTIME) ----------------------
// New: "already timed out" means the join succeeds only for a thread that
// has already ended (glibc checks before it waits), else ETIMEDOUT.

#define TB_TIMEDJOIN(suffix, version)                                                             \
  TB_EXPORT int tb_pthread_timedjoin_np_##suffix(pthread_t thread, void** value,                  \
                                                 const timespec* abstime) {                       \
    if (!ShimActive()) return real_pthread_timedjoin_np_##suffix(thread, value, abstime);         \
    timespec storage;                                                                             \
    const timespec* deadline = AdjustDeadline(Api::kTimedjoin, CLOCK_REALTIME, abstime, storage); \
    return real_pthread_timedjoin_np_##suffix(thread, value, deadline);                           \
  }                                                                                               \
  TB_SYMVER(tb_pthread_timedjoin_np_##suffix, "pthread_timedjoin_np" version);

TB_TIMEDJOIN(v2_34, "@@GLIBC_2.34")
TB_TIMEDJOIN(v2_3_3, "@GLIBC_2.3.3")

// --- mq_timedsend, mq_timedreceive (deadline on CLOCK_REALTIME) -------------

#define TB_MQ_SEND(suffix, version)                                                            \
  TB_EXPORT int tb_mq_timedsend_##suffix(mqd_t mq, const char* msg, size_t len, unsigned prio, \
                                         const timespec* abstime) {                            \
    if (!ShimActive()) return real_mq_timedsend_##suffix(mq, msg, len, prio, abstime);         \
    timespec storage;                                                                          \
    const timespec* deadline =                                                                 \
        AdjustDeadline(Api::kMqTimedsend, CLOCK_REALTIME, abstime, storage);                   \
    return real_mq_timedsend_##suffix(mq, msg, len, prio, deadline);                           \
  }                                                                                            \
  TB_SYMVER(tb_mq_timedsend_##suffix, "mq_timedsend" version);

#define TB_MQ_RECEIVE(suffix, version)                                                           \
  TB_EXPORT ssize_t tb_mq_timedreceive_##suffix(mqd_t mq, char* msg, size_t len, unsigned* prio, \
                                                const timespec* abstime) {                       \
    if (!ShimActive()) return real_mq_timedreceive_##suffix(mq, msg, len, prio, abstime);        \
    timespec storage;                                                                            \
    const timespec* deadline =                                                                   \
        AdjustDeadline(Api::kMqTimedreceive, CLOCK_REALTIME, abstime, storage);                  \
    return real_mq_timedreceive_##suffix(mq, msg, len, prio, deadline);                          \
  }                                                                                              \
  TB_SYMVER(tb_mq_timedreceive_##suffix, "mq_timedreceive" version);

TB_MQ_SEND(v2_34, "@@GLIBC_2.34")
TB_MQ_SEND(v2_3_4, "@GLIBC_2.3.4")
TB_MQ_RECEIVE(v2_34, "@@GLIBC_2.34")
TB_MQ_RECEIVE(v2_3_4, "@GLIBC_2.3.4")
