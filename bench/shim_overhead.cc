// Per-call cost of the shim against the bare call, in one process and one
// run: the bench loads private copies of libtimerbisect.so with dlopen (one
// copy per configuration, each with its own state, read from the
// environment when it loads) and calls each copy's interceptor directly;
// the bare call goes to libc's own symbol.
//
//   bench/shim_overhead --shim build/shim/libtimerbisect.so
//
// Configurations: bare, inert (TIMERSEM unset), active at depth 8 and 16
// (TIMERSEM=new#y: every site new and reported once, the per-call path
// after the first report), and old at depth 16 (old#y: re-arms check for
// stale expirations to keep).
#include <benchmark/benchmark.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "shim_copies.h"

namespace {

namespace bench = timerbisect::bench;

using PollFn = int (*)(pollfd*, nfds_t, int);
using SettimeFn = int (*)(int, int, const itimerspec*, itimerspec*);
using CreateFn = int (*)(int, int);
using CloseFn = int (*)(int);
using ClockGettimeFn = int (*)(clockid_t, timespec*);

struct Functions {
  const char* name;
  PollFn poll;
  SettimeFn timerfd_settime;
  CreateFn timerfd_create;
  CloseFn close;
  ClockGettimeFn clock_gettime;
};

std::vector<Functions> g_configs;
bench::ShimCopies g_copies("timerbisect-bench");

Functions Load(const char* name, const std::string& shim, const char* timersem, const char* depth) {
  void* h = g_copies.Load(name, shim, timersem, depth);
  return {name,
          g_copies.Lookup<PollFn>(h, "poll"),
          g_copies.Lookup<SettimeFn>(h, "timerfd_settime"),
          g_copies.Lookup<CreateFn>(h, "timerfd_create"),
          g_copies.Lookup<CloseFn>(h, "close"),
          g_copies.Lookup<ClockGettimeFn>(h, "clock_gettime")};
}

// poll on a pipe with a zero timeout: the event-loop call. Zero timeouts are
// not timers, so even the active shim must not walk the stack here.
void BM_PollZeroTimeout(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  int p[2];
  if (pipe(p) != 0) state.SkipWithError("pipe");
  pollfd pfd{p[0], POLLIN, 0};
  for (auto _ : state) benchmark::DoNotOptimize(f.poll(&pfd, 1, 0));
  state.SetLabel(f.name);
  close(p[0]);
  close(p[1]);
}

// Reading the monotonic clock: the shim checks whether this thread's clock
// is ahead (clock_ahead.h), which it never is here. Programs read the clock
// millions of times, so this is the cost every program pays.
void BM_ClockGettime(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  timespec ts;
  for (auto _ : state) benchmark::DoNotOptimize(f.clock_gettime(CLOCK_MONOTONIC, &ts));
  state.SetLabel(f.name);
}

// Disarming a timerfd the configuration created (active: a tracked fd).
void BM_TimerfdSettime(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  int fd = f.timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  itimerspec disarm{};
  for (auto _ : state) benchmark::DoNotOptimize(f.timerfd_settime(fd, 0, &disarm, nullptr));
  state.SetLabel(f.name);
  f.close(fd);
}

// Creating a timer: the active shim walks the stack and looks the site up
// in its cache (warm after the first iteration).
void BM_TimerfdCreateClose(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  for (auto _ : state) {
    int fd = f.timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    f.close(fd);
  }
  state.SetLabel(f.name);
}

// The same 20 frames below main's benchmark loop, so that depth 16 walks
// 16 frames of the program (the other rows run about 6 frames deep).
__attribute__((noinline)) void CreateCloseDeep(const Functions& f, int frames) {
  if (frames > 0) {
    CreateCloseDeep(f, frames - 1);
    benchmark::ClobberMemory();  // not a tail call: the frame stays
    return;
  }
  int fd = f.timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  f.close(fd);
}

void BM_TimerfdCreateCloseDeep(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  for (auto _ : state) CreateCloseDeep(f, 20);
  state.SetLabel(f.name);
}

std::int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// The first timer call of a new thread, 20 frames deep (thread start-up not
// timed): what a thread pool's first timed call pays.
void BM_FirstCallInNewThread(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  for (auto _ : state) {
    std::int64_t elapsed = 0;
    std::thread([&] {
      std::int64_t start = NowNs();
      CreateCloseDeep(f, 20);
      elapsed = NowNs() - start;
    }).join();
    state.SetIterationTime(static_cast<double>(elapsed) / 1e9);
  }
  state.SetLabel(f.name);
}

}  // namespace

int main(int argc, char** argv) {
  bench::EnsureStaticTlsRoom(argv);
  std::vector<char*> rest;
  std::string shim = bench::TakeShimArgument(argc, argv, TIMERBISECT_SHIM_PATH, rest);
  g_configs.push_back(
      {"bare", &::poll, &::timerfd_settime, &::timerfd_create, &::close, &::clock_gettime});
  g_configs.push_back(Load("inert", shim, nullptr, "16"));
  g_configs.push_back(Load("active-depth8", shim, "new#y", "8"));
  g_configs.push_back(Load("active-depth16", shim, "new#y", "16"));
  g_configs.push_back(Load("active-old-depth16", shim, "old#y", "16"));
  for (auto* bm : {benchmark::RegisterBenchmark("poll_zero_timeout", BM_PollZeroTimeout),
                   benchmark::RegisterBenchmark("clock_gettime", BM_ClockGettime),
                   benchmark::RegisterBenchmark("timerfd_settime", BM_TimerfdSettime),
                   benchmark::RegisterBenchmark("timerfd_create_close", BM_TimerfdCreateClose),
                   benchmark::RegisterBenchmark("timerfd_create_close_20_frames_deep",
                                                BM_TimerfdCreateCloseDeep)}) {
    bm->DenseRange(0, static_cast<int>(g_configs.size()) - 1);
  }
  benchmark::RegisterBenchmark("first_call_in_new_thread", BM_FirstCallInNewThread)
      ->DenseRange(0, static_cast<int>(g_configs.size()) - 1)
      ->UseManualTime()
      ->Iterations(200);
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
