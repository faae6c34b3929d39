// 40 distinct timer call sites (one noinline function each), for tests that
// drive the shim with many protocol patterns. argv[1]: how many sites to run.
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define SITE(n)                                            \
  __attribute__((noinline)) static void Site##n(void) {    \
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC); \
    __asm__ volatile("" ::: "memory");                     \
    close(fd);                                             \
  }

SITE(0)
SITE(1)
SITE(2)
SITE(3)
SITE(4)
SITE(5)
SITE(6)
SITE(7)
SITE(8)
SITE(9)
SITE(10)
SITE(11)
SITE(12)
SITE(13)
SITE(14)
SITE(15)
SITE(16)
SITE(17)
SITE(18)
SITE(19)
SITE(20)
SITE(21)
SITE(22)
SITE(23)
SITE(24)
SITE(25)
SITE(26)
SITE(27)
SITE(28)
SITE(29)
SITE(30)
SITE(31)
SITE(32)
SITE(33)
SITE(34)
SITE(35)
SITE(36)
SITE(37)
SITE(38)
SITE(39)

static void (*const kSites[])(void) = {
    Site0,  Site1,  Site2,  Site3,  Site4,  Site5,  Site6,  Site7,  Site8,  Site9,
    Site10, Site11, Site12, Site13, Site14, Site15, Site16, Site17, Site18, Site19,
    Site20, Site21, Site22, Site23, Site24, Site25, Site26, Site27, Site28, Site29,
    Site30, Site31, Site32, Site33, Site34, Site35, Site36, Site37, Site38, Site39,
};

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 40;
  for (int i = 0; i < n && i < 40; ++i) kSites[i]();
  return 0;
}
