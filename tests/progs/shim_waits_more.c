// Timed waits beyond the sleep, poll, condvar and mutex families, one per
// argv[1]; each waits 10 us for something that never comes, so it times
// out.          -> "ret N" (0, an errno value, or -1 with "errno N"),
//                  "elapsed_ns N", or "skip REASON" where the system lacks it
//   rwlock_timedrd rwlock_timedwr rwlock_clockrd rwlock_clockwr
//                  a rwlock another thread holds for writing
//   timedjoin      a thread that has not ended
//   mq_timedreceive  an empty POSIX message queue
//   sigtimedwait   SIGUSR1 blocked and never sent
//   so_rcvtimeo    recv on a socket with SO_RCVTIMEO 10 us and no data
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long NowNs(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

// A deadline 10 us from now on `clock`.
static struct timespec Soon(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  t.tv_nsec += 10000;
  if (t.tv_nsec >= 1000000000L) t.tv_sec += 1, t.tv_nsec -= 1000000000L;
  return t;
}

static pthread_rwlock_t g_lock = PTHREAD_RWLOCK_INITIALIZER;
static int g_release[2];

static void* HoldWriteLock(void* arg) {
  (void)arg;
  pthread_rwlock_wrlock(&g_lock);
  char c;
  while (read(g_release[0], &c, 1) < 0 && errno == EINTR) {
  }
  pthread_rwlock_unlock(&g_lock);
  return NULL;
}

static void* WaitForRelease(void* arg) {
  (void)arg;
  char c;
  while (read(g_release[0], &c, 1) < 0 && errno == EINTR) {
  }
  return NULL;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "";
  if (pipe(g_release) != 0) return 2;
  pthread_t other;
  int rw = strncmp(what, "rwlock_", 7) == 0;
  if (rw || strcmp(what, "timedjoin") == 0) {
    pthread_create(&other, NULL, rw ? HoldWriteLock : WaitForRelease, NULL);
    if (rw) {
      while (pthread_rwlock_trywrlock(&g_lock) == 0) {  // until the other thread holds it
        pthread_rwlock_unlock(&g_lock);
        sched_yield();
      }
    }
  }
  long start = NowNs();
  long ret = -100;
  int err = 0;
  if (strcmp(what, "rwlock_timedrd") == 0) {
    struct timespec t = Soon(CLOCK_REALTIME);
    ret = pthread_rwlock_timedrdlock(&g_lock, &t);
  } else if (strcmp(what, "rwlock_timedwr") == 0) {
    struct timespec t = Soon(CLOCK_REALTIME);
    ret = pthread_rwlock_timedwrlock(&g_lock, &t);
  } else if (strcmp(what, "rwlock_clockrd") == 0) {
    struct timespec t = Soon(CLOCK_MONOTONIC);
    ret = pthread_rwlock_clockrdlock(&g_lock, CLOCK_MONOTONIC, &t);
  } else if (strcmp(what, "rwlock_clockwr") == 0) {
    struct timespec t = Soon(CLOCK_MONOTONIC);
    ret = pthread_rwlock_clockwrlock(&g_lock, CLOCK_MONOTONIC, &t);
  } else if (strcmp(what, "timedjoin") == 0) {
    struct timespec t = Soon(CLOCK_REALTIME);
    ret = pthread_timedjoin_np(other, NULL, &t);
  } else if (strcmp(what, "mq_timedreceive") == 0) {
    char name[64];
    snprintf(name, sizeof name, "/tb-waits-%d", (int)getpid());
    struct mq_attr attr = {0, 1, 16, 0, {0}};
    mqd_t mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (mq == (mqd_t)-1) {
      printf("skip mq_open: %s\n", strerror(errno));
      return 0;
    }
    mq_unlink(name);
    char buf[16];
    struct timespec t = Soon(CLOCK_REALTIME);
    start = NowNs();
    ret = mq_timedreceive(mq, buf, sizeof buf, NULL, &t);
    err = errno;
  } else if (strcmp(what, "sigtimedwait") == 0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct timespec t = {0, 10000};
    start = NowNs();
    ret = sigtimedwait(&set, NULL, &t);
    err = errno;
  } else if (strcmp(what, "so_rcvtimeo") == 0) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 2;
    struct timeval tv = {0, 10};
    if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return 2;
    char c;
    start = NowNs();
    ret = recv(sv[0], &c, 1, 0);
    err = errno;
  } else {
    fprintf(stderr, "unknown %s\n", what);
    return 100;
  }
  long elapsed = NowNs() - start;
  printf("ret %ld\nerrno %d\nelapsed_ns %ld\n", ret, ret == -1 ? err : 0, elapsed);
  if (rw || strcmp(what, "timedjoin") == 0) {
    if (write(g_release[1], "x", 1) != 1) return 3;
    pthread_join(other, NULL);
  }
  return 0;
}
