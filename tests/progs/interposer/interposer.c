// A library that interposes on versioned libc functions without symbol
// versions, as libtsan.so and many LD_PRELOAD tools do: the condvar family
// (always today's ABI, so a program bound to the pre-2.3.2 one is served
// the current one throughout, as libtsan.so serves it) and clock_nanosleep.
// Preloaded after the shim, or linked into a program, it stands between the
// shim and libc. It counts the timed waits and sleeps that reach it and
// prints "interposer pthread_cond_timedwait N" and
// "interposer clock_nanosleep N" on stderr at exit.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static int cond_calls, sleep_calls;

// The current-ABI function `name` of libc (a GLIBC_2.3.2 condvar function,
// or clock_nanosleep@GLIBC_2.17).
static void* Next(const char* name, const char* version) {
  return dlvsym(RTLD_NEXT, name, version);
}

int pthread_cond_init(pthread_cond_t* cond, const pthread_condattr_t* attr) {
  int (*next)(pthread_cond_t*, const pthread_condattr_t*) =
      Next("pthread_cond_init", "GLIBC_2.3.2");
  return next(cond, attr);
}

int pthread_cond_destroy(pthread_cond_t* cond) {
  int (*next)(pthread_cond_t*) = Next("pthread_cond_destroy", "GLIBC_2.3.2");
  return next(cond);
}

int pthread_cond_signal(pthread_cond_t* cond) {
  int (*next)(pthread_cond_t*) = Next("pthread_cond_signal", "GLIBC_2.3.2");
  return next(cond);
}

int pthread_cond_broadcast(pthread_cond_t* cond) {
  int (*next)(pthread_cond_t*) = Next("pthread_cond_broadcast", "GLIBC_2.3.2");
  return next(cond);
}

int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex,
                           const struct timespec* abstime) {
  int (*next)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*) =
      Next("pthread_cond_timedwait", "GLIBC_2.3.2");
  __atomic_add_fetch(&cond_calls, 1, __ATOMIC_RELAXED);
  return next(cond, mutex, abstime);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec* req, struct timespec* rem) {
  int (*next)(clockid_t, int, const struct timespec*, struct timespec*) =
      Next("clock_nanosleep", "GLIBC_2.17");
  __atomic_add_fetch(&sleep_calls, 1, __ATOMIC_RELAXED);
  return next(clock, flags, req, rem);
}

__attribute__((destructor)) static void Report(void) {
  fprintf(stderr, "interposer pthread_cond_timedwait %d\ninterposer clock_nanosleep %d\n",
          __atomic_load_n(&cond_calls, __ATOMIC_RELAXED),
          __atomic_load_n(&sleep_calls, __ATOMIC_RELAXED));
}
