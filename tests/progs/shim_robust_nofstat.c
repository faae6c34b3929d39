// A sandbox that refuses fstat: a seccomp filter fails fstat and
// newfstatat with EPERM, then 12 short sleeps from 12 stack depths (12
// sites). Prints "fds_same 1" when the program's descriptors are the same
// after as before (the shim's report file among them), "seccomp 0" where
// the filter cannot be installed. The shim reads a failed fstat of its
// report file as "not mine any more" only on EBADF.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int OpenDescriptors(void) {
  int n = 0;
  for (int fd = 0; fd < 4096; ++fd) n += fcntl(fd, F_GETFD) != -1;
  return n;
}

__attribute__((noinline)) static void SleepAtDepth(int depth) {
  if (depth == 0) {
    struct timespec tiny = {0, 10000};
    nanosleep(&tiny, NULL);
    return;
  }
  SleepAtDepth(depth - 1);
  __asm__ volatile("" ::: "memory");  // not a tail call: each depth its own stack
}

int main(void) {
  int before = OpenDescriptors();
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fstat, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
  };
  struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    printf("seccomp 0\n");
    return 0;
  }
  for (int depth = 0; depth < 12; ++depth) SleepAtDepth(depth);
  printf("seccomp 1\nfds_same %d\n", OpenDescriptors() == before);
  return 0;
}
