// Per-call cost of the shim's library-timer interceptors (shim/lib_*.cc)
// against the bare library call, the way bench/shim_overhead.cc measures
// the libc ones: private copies of libtimerbisect.so loaded with dlopen
// (one per configuration, each reading the environment when it loads), each
// copy's interceptor called directly; the bare call goes to the library.
//
//   bench/libtimer_overhead --shim build/shim/libtimerbisect.so
//
// Rows: uv_timer_start (+ uv_timer_stop, 1 s timeout: never short),
// g_timeout_add (+ g_source_remove, not intercepted: GLib's own in every
// row) and, when libsystemd-dev is installed, sd_event_add_time (+
// sd_event_source_unref, 1 s ahead); configurations bare, inert (TIMERSEM
// unset), active (new#y, depth 16: a warm site, one stack walk per arming)
// and active old (old#y: the arming records the timer's mode, stop checks
// whether it was due).
#include <benchmark/benchmark.h>
#include <glib.h>
#include <unistd.h>
#include <uv.h>
#ifdef TIMERBISECT_BENCH_SDEVENT
#include <systemd/sd-event.h>
#endif

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "shim_copies.h"

namespace {

namespace bench = timerbisect::bench;

struct Functions {
  const char* name;
  decltype(&::uv_timer_start) uv_timer_start;
  decltype(&::uv_timer_stop) uv_timer_stop;
  decltype(&::g_timeout_add) g_timeout_add;
  decltype(&::g_source_remove) g_source_remove;
#ifdef TIMERBISECT_BENCH_SDEVENT
  decltype(&::sd_event_add_time) sd_event_add_time;
  decltype(&::sd_event_source_unref) sd_event_source_unref;
#endif
};

std::vector<Functions> g_configs;
bench::ShimCopies g_copies("timerbisect-libbench");

Functions Load(const char* name, const std::string& shim, const char* timersem) {
  void* h = g_copies.Load(name, shim, timersem, "16");
  return {
      name,
      g_copies.Lookup<decltype(&::uv_timer_start)>(h, "uv_timer_start"),
      g_copies.Lookup<decltype(&::uv_timer_stop)>(h, "uv_timer_stop"),
      g_copies.Lookup<decltype(&::g_timeout_add)>(h, "g_timeout_add"),
      &::g_source_remove,  // not intercepted
#ifdef TIMERBISECT_BENCH_SDEVENT
      g_copies.Lookup<decltype(&::sd_event_add_time)>(h, "sd_event_add_time"),
      g_copies.Lookup<decltype(&::sd_event_source_unref)>(h, "sd_event_source_unref"),
#endif
  };
}

void Tick(uv_timer_t*) {}

gboolean Never(gpointer) {
  return G_SOURCE_REMOVE;
}

void BM_UvTimerStartStop(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_timer_t timer;
  uv_timer_init(&loop, &timer);
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.uv_timer_start(&timer, Tick, 1000, 0));
    f.uv_timer_stop(&timer);
  }
  state.SetLabel(f.name);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}

void BM_GTimeoutAddRemove(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  for (auto _ : state) {
    guint id = f.g_timeout_add(1000, Never, nullptr);
    f.g_source_remove(id);
  }
  state.SetLabel(f.name);
}

#ifdef TIMERBISECT_BENCH_SDEVENT
int SdTick(sd_event_source*, std::uint64_t, void*) {
  return 0;
}

void BM_SdEventAddTimeUnref(benchmark::State& state) {
  const Functions& f = g_configs[state.range(0)];
  sd_event* e = nullptr;
  sd_event_new(&e);
  std::uint64_t now = 0;
  sd_event_now(e, CLOCK_MONOTONIC, &now);
  for (auto _ : state) {
    sd_event_source* s = nullptr;
    benchmark::DoNotOptimize(
        f.sd_event_add_time(e, &s, CLOCK_MONOTONIC, now + 1'000'000, 1, SdTick, nullptr));
    f.sd_event_source_unref(s);
  }
  state.SetLabel(f.name);
  sd_event_unref(e);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  bench::EnsureStaticTlsRoom(argv);
  std::vector<char*> rest;
  std::string shim = bench::TakeShimArgument(argc, argv, TIMERBISECT_SHIM_PATH, rest);
  g_configs.push_back({"bare", &::uv_timer_start, &::uv_timer_stop, &::g_timeout_add,
                       &::g_source_remove,
#ifdef TIMERBISECT_BENCH_SDEVENT
                       &::sd_event_add_time, &::sd_event_source_unref
#endif
  });
  g_configs.push_back(Load("inert", shim, nullptr));
  g_configs.push_back(Load("active-depth16", shim, "new#y"));
  g_configs.push_back(Load("active-old-depth16", shim, "old#y"));
  std::vector<benchmark::internal::Benchmark*> rows = {
      benchmark::RegisterBenchmark("uv_timer_start_stop", BM_UvTimerStartStop),
      benchmark::RegisterBenchmark("g_timeout_add_remove", BM_GTimeoutAddRemove)};
#ifdef TIMERBISECT_BENCH_SDEVENT
  rows.push_back(benchmark::RegisterBenchmark("sd_event_add_time_unref", BM_SdEventAddTimeUnref));
#endif
  for (auto* bm : rows) bm->DenseRange(0, static_cast<int>(g_configs.size()) - 1);
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
