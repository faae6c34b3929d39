// A library that interposes on two versioned libc functions without symbol
// versions, as libtsan.so and many LD_PRELOAD tools do. Preloaded after the
// shim, it stands between the shim and libc. It counts the calls that reach
// it and prints "interposer pthread_cond_timedwait N" and
// "interposer clock_nanosleep N" on stderr at exit.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static int cond_calls, sleep_calls;

int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex,
                           const struct timespec* abstime) {
  static int (*next)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
  if (next == NULL) next = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
  __atomic_add_fetch(&cond_calls, 1, __ATOMIC_RELAXED);
  return next(cond, mutex, abstime);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec* req, struct timespec* rem) {
  static int (*next)(clockid_t, int, const struct timespec*, struct timespec*);
  if (next == NULL) next = dlvsym(RTLD_NEXT, "clock_nanosleep", "GLIBC_2.17");
  __atomic_add_fetch(&sleep_calls, 1, __ATOMIC_RELAXED);
  return next(clock, flags, req, rem);
}

__attribute__((destructor)) static void Report(void) {
  fprintf(stderr, "interposer pthread_cond_timedwait %d\ninterposer clock_nanosleep %d\n",
          __atomic_load_n(&cond_calls, __ATOMIC_RELAXED),
          __atomic_load_n(&sleep_calls, __ATOMIC_RELAXED));
}
