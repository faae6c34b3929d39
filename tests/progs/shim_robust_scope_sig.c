// Timer sites first reached in a signal handler, under TIMERSEM_SCOPE: a
// thread sends SIGUSR1 every 300 us to the main thread, which loops on
// malloc and free; the handler calls a 10 us nanosleep from one of 256
// functions in turn, so most calls are a site the shim has not decided
// yet. Deciding one matches the scope; when that allocated (re2) inside a
// malloc the signal had interrupted, the process deadlocked (3 of 6 runs).
// Prints "handled N" and "done 1".
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const struct timespec g_ten_us = {0, 10000};
static volatile sig_atomic_t g_handled;
static atomic_int g_stop;
static pthread_t g_main;

// clang-format off
#define SITE(n)                                             \
  __attribute__((noinline)) static void Site##n(void) {     \
    nanosleep(&g_ten_us, NULL);                             \
    __asm__ volatile("" ::: "memory"); /* keep the frame */ \
  }
#define S4(n) SITE(n##0) SITE(n##1) SITE(n##2) SITE(n##3)
#define S16(n) S4(n##0) S4(n##1) S4(n##2) S4(n##3)
#define S64(n) S16(n##0) S16(n##1) S16(n##2) S16(n##3)
S64(0) S64(1) S64(2) S64(3)

#define REF(n) Site##n,
#define R4(n) REF(n##0) REF(n##1) REF(n##2) REF(n##3)
#define R16(n) R4(n##0) R4(n##1) R4(n##2) R4(n##3)
#define R64(n) R16(n##0) R16(n##1) R16(n##2) R16(n##3)
static void (*const g_sites[256])(void) = {R64(0) R64(1) R64(2) R64(3)};
// clang-format on

static void OnSignal(int sig) {
  (void)sig;
  g_sites[g_handled % 256]();
  ++g_handled;
}

static void* Sender(void* arg) {
  (void)arg;
  const struct timespec period = {0, 300000};
  while (!atomic_load(&g_stop)) {
    pthread_kill(g_main, SIGUSR1);
    clock_nanosleep(CLOCK_MONOTONIC, 0, &period, NULL);
  }
  return NULL;
}

int main(void) {
  g_main = pthread_self();
  struct sigaction action = {0};
  action.sa_handler = OnSignal;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &action, NULL);
  pthread_t sender;
  pthread_create(&sender, NULL, Sender, NULL);
  void* blocks[64] = {0};
  unsigned r = 1;
  while (g_handled < 1500) {
    r = r * 1103515245u + 12345u;
    unsigned j = (r >> 16) % 64;
    free(blocks[j]);
    blocks[j] = malloc(((r >> 8) % 4000) + 1);
  }
  atomic_store(&g_stop, 1);
  pthread_join(sender, NULL);
  for (int j = 0; j < 64; ++j) free(blocks[j]);
  printf("handled %d\ndone 1\n", (int)g_handled);
  return 0;
}
