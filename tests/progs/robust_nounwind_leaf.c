// Compiled with -fno-asynchronous-unwind-tables -fno-unwind-tables
// -fomit-frame-pointer -mno-red-zone (tests/robust.cmake): this frame has no
// unwind information and no frame pointer, so a stack walk that reaches it
// has nothing to go on. Worse, the timer API is called with %rbp holding a
// small number instead of a frame address: a walker that falls back to the
// frame-pointer chain would read page zero.
#include "robust_nounwind_leaf.h"

#include <sys/timerfd.h>
#include <time.h>

__attribute__((noinline)) int CreateTimerWithoutUnwindInfo(void) {
#if defined(__x86_64__)
  long fd;
  // Save %rbp, align the stack for the call (the ABI wants 16 bytes), put
  // a bogus frame pointer in %rbp, call, restore both.
  __asm__ volatile(
      "push %%rbp\n\t"
      "mov %%rsp, %%rbx\n\t"
      "and $-16, %%rsp\n\t"
      "mov $16, %%rbp\n\t"
      "mov %[clock], %%edi\n\t"
      "mov %[flags], %%esi\n\t"
      "call timerfd_create@PLT\n\t"
      "mov %%rbx, %%rsp\n\t"
      "pop %%rbp\n\t"
      : "=a"(fd)
      : [clock] "i"(CLOCK_MONOTONIC), [flags] "i"(TFD_NONBLOCK)
      : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3",
        "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
        "xmm15", "memory", "cc");
  return (int)fd;
#else
  // Elsewhere the missing unwind tables are the whole test.
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
#endif
}
