// Timed waits (condvars, semaphores, timed mutexes, C11 threads, futex via
// syscall) for the latency aspect. Usage: shim_cond API CASE
//   API   cond_timedwait       condvar with the default clock (CLOCK_REALTIME)
//         cond_timedwait_mono  condvar with pthread_condattr_setclock(MONOTONIC)
//         cond_timedwait_old   the pre-2.3.2 ABI (pthread_cond_*@GLIBC_2.2.5)
//         cond_clockwait       pthread_cond_clockwait on CLOCK_MONOTONIC
//         cnd_timedwait        C11
//         sem_timedwait, sem_clockwait (CLOCK_MONOTONIC)
//         mutex_timedlock, mutex_clocklock (CLOCK_MONOTONIC), mtx_timedlock
//         futex_wait (relative), futex_wait_bitset (absolute, monotonic),
//         futex_wait_bitset_rt (absolute, FUTEX_CLOCK_REALTIME)
//   CASE  short  10 us timeout; another thread signals/posts/unlocks/wakes
//                50 ms after the wait began, or as soon as it returned
//         long   the same with a 1 s timeout
//         never  the same with a deadline (or relative timeout) of
//                {LONG_MAX, 0}: the wait ends only by the event
//         ready  the resource is already available (semaphore posted,
//                mutex free, futex word changed), 10 us timeout
// Prints "outcome ok|timedout|error" and "event_before 0|1": whether the
// other thread's event had happened when the wait returned (an atomic
// flag set just before the event: ordering evidence, not timing). The event
// comes after the wait returned or 50 ms after the waiter announced it, so
// only a wait that lasts (old mode's lag) sees it, however slow the machine.
//
// Two more behaviours take no CASE:
//   passthrough  syscall() for other system calls: "getpid 1", "written 1",
//                "write_result 10", "close_ebadf 1", "errno_kept 1",
//                "mmap_offset 1" (six arguments), "futex_wake 0",
//                "futex_again 1", "futex_einval 1"
//   pattern      two sem_timedwait sites, A then B, each "short":
//                "a_outcome ...", "b_outcome ..."
//   futex_slack  with a 2 s timer slack (PR_SET_TIMERSLACK), a relative 10 us
//                FUTEX_WAIT nobody wakes: "outcome ..." and "within_slack
//                0|1", whether it returned before half the slack had passed
//                (a relative timeout, even {0, 0}, sleeps the slack; an
//                absolute one already past does not)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

// The pre-2.3.2 condvar ABI, bound by symbol version.
int old_cond_init(pthread_cond_t* cond, const pthread_condattr_t* attr);
int old_cond_destroy(pthread_cond_t* cond);
int old_cond_signal(pthread_cond_t* cond);
int old_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* t);
__asm__(".symver old_cond_init,pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver old_cond_destroy,pthread_cond_destroy@GLIBC_2.2.5");
__asm__(".symver old_cond_signal,pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver old_cond_timedwait,pthread_cond_timedwait@GLIBC_2.2.5");

static const long kShortNs = 10000;          // 10 us: short (default TIMERSEM_SHORT 50 us)
static const long kLongNs = 1000000000;      // 1 s
static const long kEventDelayNs = 50000000;  // 50 ms: far beyond a short wait, far below the lag

static long g_timeout_ns;
static atomic_int g_event;     // set just before the event
static atomic_int g_held;      // the event thread holds the mutex
static atomic_int g_waiting;   // the waiter is about to wait
static atomic_int g_returned;  // the wait returned

static long NowNs(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

static struct timespec Ts(long ns) {
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  return ts;
}

static const struct timespec kNever = {LONG_MAX, 0};

// ns < 0: never.
static struct timespec DeadlineIn(clockid_t clock, long ns) {
  return ns < 0 ? kNever : Ts(NowNs(clock) + ns);
}

// The event thread's delay: kEventDelayNs after the waiter announced its
// wait, or less once the wait returned. A yield loop on clock_gettime: no
// intercepted sleep may stretch or shorten it.
static void AwaitEventTime(void) {
  while (!atomic_load(&g_waiting)) sched_yield();
  long start = NowNs(CLOCK_MONOTONIC);
  while (!atomic_load(&g_returned) && NowNs(CLOCK_MONOTONIC) - start < kEventDelayNs) {
    sched_yield();
  }
}

static void ResetEvent(void) {
  atomic_store(&g_event, 0);
  atomic_store(&g_held, 0);
  atomic_store(&g_waiting, 0);
  atomic_store(&g_returned, 0);
}

// Call right after the wait returned: reads the event flag, then lets the
// event thread go.
static int EventBefore(void) {
  int before = atomic_load(&g_event);
  atomic_store(&g_returned, 1);
  return before;
}

static void Print(const char* outcome) {
  int before = EventBefore();
  printf("outcome %s\nevent_before %d\n", outcome, before);
}

static const char* FromErrorNumber(int rc) {
  return rc == 0 ? "ok" : rc == ETIMEDOUT ? "timedout" : "error";
}

// --- condition variables ----------------------------------------------------

enum CondKind { kCondTimedwait, kCondTimedwaitMono, kCondTimedwaitOld, kCondClockwait };

static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static enum CondKind g_cond_kind;

static void* SignalLater(void* arg) {
  (void)arg;
  AwaitEventTime();
  pthread_mutex_lock(&g_mutex);
  atomic_store(&g_event, 1);
  if (g_cond_kind == kCondTimedwaitOld) {
    old_cond_signal(&g_cond);
  } else {
    pthread_cond_signal(&g_cond);
  }
  pthread_mutex_unlock(&g_mutex);
  return NULL;
}

static int CondWait(const struct timespec* deadline) {
  switch (g_cond_kind) {
    case kCondTimedwait:
    case kCondTimedwaitMono:
      return pthread_cond_timedwait(&g_cond, &g_mutex, deadline);
    case kCondTimedwaitOld:
      return old_cond_timedwait(&g_cond, &g_mutex, deadline);
    case kCondClockwait:
      return pthread_cond_clockwait(&g_cond, &g_mutex, CLOCK_MONOTONIC, deadline);
  }
  return EINVAL;
}

static int RunCond(enum CondKind kind) {
  g_cond_kind = kind;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  clockid_t clock = CLOCK_REALTIME;
  if (kind == kCondTimedwaitMono || kind == kCondClockwait) clock = CLOCK_MONOTONIC;
  if (kind == kCondTimedwaitMono) pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  if (kind == kCondTimedwaitOld) {
    old_cond_init(&g_cond, NULL);
  } else {
    pthread_cond_init(&g_cond, &attr);
  }
  pthread_mutex_lock(&g_mutex);
  pthread_t signaller;
  // The signaller needs the mutex, which this thread releases only inside
  // the wait: the signal cannot come before the wait.
  pthread_create(&signaller, NULL, SignalLater, NULL);
  struct timespec deadline = DeadlineIn(clock, g_timeout_ns);
  int rc = 0;
  atomic_store(&g_waiting, 1);
  while (!atomic_load(&g_event) && rc == 0) rc = CondWait(&deadline);  // spurious wakeups
  Print(FromErrorNumber(rc));
  pthread_mutex_unlock(&g_mutex);
  pthread_join(signaller, NULL);
  if (kind == kCondTimedwaitOld) {
    old_cond_destroy(&g_cond);
  } else {
    pthread_cond_destroy(&g_cond);
  }
  return 0;
}

static cnd_t g_cnd;
static mtx_t g_mtx;

static int CndSignalLater(void* arg) {
  (void)arg;
  AwaitEventTime();
  mtx_lock(&g_mtx);
  atomic_store(&g_event, 1);
  cnd_signal(&g_cnd);
  mtx_unlock(&g_mtx);
  return 0;
}

static int RunCnd(void) {
  cnd_init(&g_cnd);
  mtx_init(&g_mtx, mtx_plain);
  mtx_lock(&g_mtx);
  thrd_t signaller;
  thrd_create(&signaller, CndSignalLater, NULL);
  struct timespec deadline = DeadlineIn(CLOCK_REALTIME, g_timeout_ns);
  int rc = thrd_success;
  atomic_store(&g_waiting, 1);
  while (!atomic_load(&g_event) && rc == thrd_success)
    rc = cnd_timedwait(&g_cnd, &g_mtx, &deadline);
  Print(rc == thrd_success ? "ok" : rc == thrd_timedout ? "timedout" : "error");
  mtx_unlock(&g_mtx);
  thrd_join(signaller, NULL);
  return 0;
}

// --- semaphores -------------------------------------------------------------

static sem_t g_sem;

static void* PostLater(void* arg) {
  (void)arg;
  AwaitEventTime();
  atomic_store(&g_event, 1);
  sem_post(&g_sem);
  return NULL;
}

static int SemWait(int clockwait) {
  struct timespec deadline = DeadlineIn(clockwait ? CLOCK_MONOTONIC : CLOCK_REALTIME, g_timeout_ns);
  int rc;
  atomic_store(&g_waiting, 1);
  do {
    rc = clockwait ? sem_clockwait(&g_sem, CLOCK_MONOTONIC, &deadline)
                   : sem_timedwait(&g_sem, &deadline);
  } while (rc == -1 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

static int RunSem(int clockwait, int ready) {
  sem_init(&g_sem, 0, ready ? 1 : 0);
  pthread_t poster;
  if (!ready) pthread_create(&poster, NULL, PostLater, NULL);
  Print(FromErrorNumber(SemWait(clockwait)));
  if (!ready) pthread_join(poster, NULL);
  return 0;
}

// --- timed mutexes ----------------------------------------------------------

static void* HoldThenUnlock(void* arg) {
  (void)arg;
  pthread_mutex_lock(&g_mutex);
  atomic_store(&g_held, 1);
  AwaitEventTime();
  atomic_store(&g_event, 1);
  pthread_mutex_unlock(&g_mutex);
  return NULL;
}

static int MtxHoldThenUnlock(void* arg) {
  (void)arg;
  mtx_lock(&g_mtx);
  atomic_store(&g_held, 1);
  AwaitEventTime();
  atomic_store(&g_event, 1);
  mtx_unlock(&g_mtx);
  return 0;
}

static int RunMutex(int clocklock, int ready) {
  pthread_t holder;
  if (!ready) {
    pthread_create(&holder, NULL, HoldThenUnlock, NULL);
    while (!atomic_load(&g_held)) sched_yield();
  }
  clockid_t clock = clocklock ? CLOCK_MONOTONIC : CLOCK_REALTIME;
  struct timespec deadline = DeadlineIn(clock, g_timeout_ns);
  atomic_store(&g_waiting, 1);
  int rc = clocklock ? pthread_mutex_clocklock(&g_mutex, clock, &deadline)
                     : pthread_mutex_timedlock(&g_mutex, &deadline);
  Print(FromErrorNumber(rc));
  if (rc == 0) pthread_mutex_unlock(&g_mutex);
  if (!ready) pthread_join(holder, NULL);
  return 0;
}

static int RunMtx(int ready) {
  mtx_init(&g_mtx, mtx_timed);
  thrd_t holder;
  if (!ready) {
    thrd_create(&holder, MtxHoldThenUnlock, NULL);
    while (!atomic_load(&g_held)) sched_yield();
  }
  struct timespec deadline = DeadlineIn(CLOCK_REALTIME, g_timeout_ns);
  atomic_store(&g_waiting, 1);
  int rc = mtx_timedlock(&g_mtx, &deadline);
  Print(rc == thrd_success ? "ok" : rc == thrd_timedout ? "timedout" : "error");
  if (rc == thrd_success) mtx_unlock(&g_mtx);
  if (!ready) thrd_join(holder, NULL);
  return 0;
}

// --- futex through syscall() ------------------------------------------------

enum FutexKind { kFutexWait, kFutexWaitBitset, kFutexWaitBitsetRealtime };

static atomic_uint g_word;

static void* WakeLater(void* arg) {
  (void)arg;
  AwaitEventTime();
  atomic_store(&g_event, 1);
  atomic_store(&g_word, 1);
  syscall(SYS_futex, &g_word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
  return NULL;
}

// 0 once the word changed (woken, or EAGAIN: it was no longer 0), else the
// errno of the failed wait.
static int FutexWait(enum FutexKind kind) {
  clockid_t clock = kind == kFutexWaitBitsetRealtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  struct timespec deadline = DeadlineIn(clock, g_timeout_ns);
  struct timespec relative = g_timeout_ns < 0 ? kNever : Ts(g_timeout_ns);
  atomic_store(&g_waiting, 1);
  while (atomic_load(&g_word) == 0) {
    long rc;
    if (kind == kFutexWait) {
      rc = syscall(SYS_futex, &g_word, FUTEX_WAIT_PRIVATE, 0, &relative, NULL, 0);
    } else {
      int op =
          FUTEX_WAIT_BITSET_PRIVATE | (kind == kFutexWaitBitsetRealtime ? FUTEX_CLOCK_REALTIME : 0);
      rc = syscall(SYS_futex, &g_word, op, 0, &deadline, NULL, FUTEX_BITSET_MATCH_ANY);
    }
    if (rc == -1 && errno == EAGAIN) return 0;
    if (rc == -1 && errno != EINTR) return errno;
  }
  return 0;
}

static int RunFutex(enum FutexKind kind, int ready) {
  atomic_store(&g_word, ready ? 1 : 0);
  pthread_t waker;
  if (!ready) pthread_create(&waker, NULL, WakeLater, NULL);
  Print(FromErrorNumber(FutexWait(kind)));
  if (!ready) pthread_join(waker, NULL);
  return 0;
}

static long long MonotonicNs(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static int RunFutexSlack(void) {
  const long long slack_ns = 2000000000LL;
  prctl(PR_SET_TIMERSLACK, (unsigned long)slack_ns);
  unsigned word = 0;
  struct timespec relative = {0, 10000};
  long long start = MonotonicNs();
  long rc = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &relative, NULL, 0);
  long long took = MonotonicNs() - start;
  Print(FromErrorNumber(rc == -1 ? errno : 0));
  printf("within_slack %d\n", took < slack_ns / 2);
  return 0;
}

// --- syscall() pass-through -------------------------------------------------

static int RunPassthrough(void) {
  printf("getpid %d\n", syscall(SYS_getpid) == getpid());
  fflush(stdout);
  static const char kLine[] = "written 1\n";
  long written = syscall(SYS_write, 1, kLine, sizeof kLine - 1);
  printf("write_result %ld\n", written);
  errno = 0;
  long rc = syscall(SYS_close, -1);
  printf("close_ebadf %d\n", rc == -1 && errno == EBADF);
  errno = 1234;
  syscall(SYS_getppid);
  printf("errno_kept %d\n", errno == 1234);

  // Six arguments: the file offset is the sixth.
  int fd = (int)syscall(SYS_memfd_create, "shim_cond", 0);
  char page[4096];
  memset(page, 'a', sizeof page);
  if (write(fd, page, sizeof page) != (ssize_t)sizeof page) return 2;
  memset(page, 'b', sizeof page);
  if (write(fd, page, sizeof page) != (ssize_t)sizeof page) return 2;
  // Variadic: every argument passed as a long, or its upper bits are
  // whatever the register or stack slot held (clang leaves them unset).
  long addr = syscall(SYS_mmap, 0L, 4096L, (long)PROT_READ, (long)MAP_SHARED, (long)fd, 4096L);
  printf("mmap_offset %d\n", addr != -1 && ((const char*)addr)[0] == 'b');

  unsigned word = 7;
  printf("futex_wake %ld\n", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  rc = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, NULL, NULL, 0);
  printf("futex_again %d\n", rc == -1 && errno == EAGAIN);
  struct timespec bad = {0, 2000000000L};
  rc = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 7, &bad, NULL, 0);
  printf("futex_einval %d\n", rc == -1 && errno == EINVAL);
  return 0;
}

// --- two sites for the pattern test -----------------------------------------

static const char* __attribute__((noinline)) SemSite(void) {
  ResetEvent();
  sem_init(&g_sem, 0, 0);
  pthread_t poster;
  pthread_create(&poster, NULL, PostLater, NULL);
  const char* outcome = FromErrorNumber(SemWait(0));
  EventBefore();
  pthread_join(poster, NULL);
  return outcome;
}

static const char* __attribute__((noinline)) SiteA(void) {
  return SemSite();
}
static const char* __attribute__((noinline)) SiteB(void) {
  return SemSite();
}

int main(int argc, char** argv) {
  const char* api = argc > 1 ? argv[1] : "";
  const char* which = argc > 2 ? argv[2] : "short";
  int ready = strcmp(which, "ready") == 0;
  g_timeout_ns = strcmp(which, "long") == 0 ? kLongNs : strcmp(which, "never") == 0 ? -1 : kShortNs;
  if (strcmp(api, "cond_timedwait") == 0) return RunCond(kCondTimedwait);
  if (strcmp(api, "cond_timedwait_mono") == 0) return RunCond(kCondTimedwaitMono);
  if (strcmp(api, "cond_timedwait_old") == 0) return RunCond(kCondTimedwaitOld);
  if (strcmp(api, "cond_clockwait") == 0) return RunCond(kCondClockwait);
  if (strcmp(api, "cnd_timedwait") == 0) return RunCnd();
  if (strcmp(api, "sem_timedwait") == 0) return RunSem(0, ready);
  if (strcmp(api, "sem_clockwait") == 0) return RunSem(1, ready);
  if (strcmp(api, "mutex_timedlock") == 0) return RunMutex(0, ready);
  if (strcmp(api, "mutex_clocklock") == 0) return RunMutex(1, ready);
  if (strcmp(api, "mtx_timedlock") == 0) return RunMtx(ready);
  if (strcmp(api, "futex_wait") == 0) return RunFutex(kFutexWait, ready);
  if (strcmp(api, "futex_wait_bitset") == 0) return RunFutex(kFutexWaitBitset, ready);
  if (strcmp(api, "futex_wait_bitset_rt") == 0) return RunFutex(kFutexWaitBitsetRealtime, ready);
  if (strcmp(api, "passthrough") == 0) return RunPassthrough();
  if (strcmp(api, "futex_slack") == 0) return RunFutexSlack();
  if (strcmp(api, "pattern") == 0) {
    printf("a_outcome %s\n", SiteA());
    printf("b_outcome %s\n", SiteB());
    return 0;
  }
  fprintf(stderr, "unknown behaviour %s\n", api);
  return 2;
}
