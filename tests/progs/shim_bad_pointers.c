// Timer calls handed a bad pointer for their timer value, each in a child
// process, one line per call and pointer:
//   "CALL KIND ret N errno NAME"   the call returned
//   "CALL KIND signal N"           the child died of signal N
//   "CALL KIND exit N"             it exited N first (a sanitizer's report)
// KIND is null (0), low (an address in the first page), kernel (an address
// in the kernel's half) or unmapped (a page the program mapped and
// unmapped). Without the shim the kernel answers most of these with EFAULT
// and glibc crashes on some it reads itself; under the shim each must end
// the same way. argv[1] picks the kinds: "cheap" (null, low, kernel) or
// "all". A null timeout that means "wait for good" is left out; a call that
// waits anyway is killed after 10 s ("signal 14").
#define _GNU_SOURCE
#include <errno.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static void* g_bad;

static long Nanosleep(void) {
  return nanosleep(g_bad, NULL);
}
static long ClockNanosleep(void) {
  errno = clock_nanosleep(CLOCK_MONOTONIC, 0, g_bad, NULL);
  return errno == 0 ? 0 : -1;
}
static long ClockNanosleepAbs(void) {
  errno = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, g_bad, NULL);
  return errno == 0 ? 0 : -1;
}
static long ThrdSleep(void) {
  return thrd_sleep(g_bad, NULL);
}
static long TimerfdSettime(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, 0);
  return timerfd_settime(fd, 0, g_bad, NULL);
}
static long TimerSettime(void) {
  timer_t timer;
  struct sigevent ev = {.sigev_notify = SIGEV_NONE};
  if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) return -100;
  return timer_settime(timer, 0, g_bad, NULL);
}
static long Setitimer(void) {
  return setitimer(ITIMER_REAL, g_bad, NULL);
}
static long Ppoll(void) {
  return ppoll(NULL, 0, g_bad, NULL);
}
static long Pselect(void) {
  return pselect(0, NULL, NULL, NULL, g_bad, NULL);
}
static long Select(void) {
  return select(0, NULL, NULL, NULL, g_bad);
}
static long EpollPwait2(void) {
  int ep = epoll_create1(0);
  struct epoll_event ev;
  return epoll_pwait2(ep, &ev, 1, g_bad, NULL);
}
static long Sigtimedwait(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return sigtimedwait(&set, NULL, g_bad);
}
static long Futex(void) {
  static int word;
  return syscall(SYS_futex, &word, 0 /* FUTEX_WAIT */, 0, g_bad, NULL, 0);
}
static long SyscallNanosleep(void) {
  return syscall(SYS_nanosleep, g_bad, NULL);
}
static long SetsockoptRcvtimeo(void) {
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, g_bad, sizeof(struct timeval));
}
static long MqTimedreceive(void) {
  char name[64];
  snprintf(name, sizeof name, "/tb_bad_pointers_%d", (int)getpid());
  struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 8};
  mqd_t mq = mq_open(name, O_CREAT | O_RDWR | O_EXCL, 0600, &attr);
  if (mq == (mqd_t)-1) return -100;
  mq_unlink(name);
  char buf[8];
  return mq_timedreceive(mq, buf, sizeof buf, NULL, g_bad);
}

struct Call {
  const char* name;
  long (*run)(void);
  int null_waits;  // a null timeout means "no timeout": not a bad pointer
};
static const struct Call kCalls[] = {
    {"nanosleep", Nanosleep, 0},
    {"clock_nanosleep", ClockNanosleep, 0},
    {"clock_nanosleep_abs", ClockNanosleepAbs, 0},
    {"thrd_sleep", ThrdSleep, 0},
    {"timerfd_settime", TimerfdSettime, 0},
    {"timer_settime", TimerSettime, 0},
    {"setitimer", Setitimer, 0},
    {"ppoll", Ppoll, 1},
    {"pselect", Pselect, 1},
    {"select", Select, 1},
    {"epoll_pwait2", EpollPwait2, 1},
    {"sigtimedwait", Sigtimedwait, 1},
    {"futex_wait", Futex, 1},
    {"syscall_nanosleep", SyscallNanosleep, 0},
    {"setsockopt_rcvtimeo", SetsockoptRcvtimeo, 0},
    {"mq_timedreceive", MqTimedreceive, 1},
};

static void RunInChild(const struct Call* call, const char* kind) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(10);  // a bad pointer read as a long wait must not hang the test
    errno = 0;
    long ret = call->run();
    int err = errno;
    printf("%s %s ret %ld errno %s\n", call->name, kind, ret,
           ret == 0 ? "0" : strerrorname_np(err));
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    printf("%s %s signal %d\n", call->name, kind, WTERMSIG(status));
  } else if (WEXITSTATUS(status) != 0) {  // a sanitizer's report of the fault
    printf("%s %s exit %d\n", call->name, kind, WEXITSTATUS(status));
  }
}

int main(int argc, char** argv) {
  int all = argc > 1 && strcmp(argv[1], "all") == 0;
  void* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(page, 4096);
  struct {
    const char* name;
    void* ptr;
  } kinds[] = {{"null", NULL},
               {"low", (void*)(uintptr_t)16},
               {"kernel", (void*)(uintptr_t)0xffffffffffff0000ull},
               {"unmapped", page}};
  int n_kinds = all ? 4 : 3;
  for (size_t c = 0; c < sizeof kCalls / sizeof kCalls[0]; ++c) {
    for (int k = 0; k < n_kinds; ++k) {
      if (kinds[k].ptr == NULL && kCalls[c].null_waits) continue;
      g_bad = kinds[k].ptr;
      RunInChild(&kCalls[c], kinds[k].name);
    }
  }
  return 0;
}
