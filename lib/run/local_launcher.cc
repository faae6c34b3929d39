#include "run/local_launcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <vector>

#include "run/output_buffer.h"
#include "run/probe_registry.h"
#include "run/process_tree.h"
#include "run/scratch.h"
#include "run/spawn.h"

namespace timerbisect::run {
namespace {

// Without a pidfd (kernel < 5.3) exits are noticed by polling this often.
constexpr int kExitPollMs = 20;
// Bytes read from one probe per loop turn, so a chatty probe cannot starve
// the others' timeouts.
constexpr std::size_t kReadBurst = 1u << 20;

int MillisecondsUntil(std::chrono::steady_clock::time_point deadline,
                      std::chrono::steady_clock::time_point now) {
  if (deadline <= now) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<int>(std::min<std::int64_t>(ms, 60'000));
}

}  // namespace

struct LocalLauncher::Probe {
  explicit Probe(std::size_t output_limit) : buffer(output_limit) {}

  ProbeOutput result;
  std::filesystem::path dir;
  SpawnedProbe process;
  OutputBuffer buffer;
  std::optional<Clock::time_point> deadline;  // when it times out
  Clock::time_point drain_deadline;           // set once it exited
  bool exited = false;                        // reaped
  bool finished = false;                      // exited and output read: Wait may return
};

LocalLauncher::LocalLauncher() : LocalLauncher(Options{}) {}

LocalLauncher::LocalLauncher(Options options)
    : options_(options), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  io_thread_ = std::thread([this] { Loop(); });
}

LocalLauncher::~LocalLauncher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [handle, probe] : probes_) {
      // Not yet reaped, so the pid (and group) is still this probe's.
      if (probe->result.started && !probe->exited) KillProcessTree(probe->process.pid);
    }
  }
  Wake();
  io_thread_.join();
  for (auto& [handle, probe] : probes_) {
    if (probe->result.started) RemoveProbeDir(probe->dir);
  }
}

Launcher::Handle LocalLauncher::Start(const ProbeSpec& spec) {
  auto probe = std::make_unique<Probe>(spec.output_limit);
  std::string error;
  if (auto dir = MakeProbeDir(spec.scratch_root); !dir) {
    error = dir.error();
  } else if (auto spawned = SpawnProbe(spec, dir->string()); !spawned) {
    error = spawned.error();
    RemoveProbeDir(*dir);
  } else {
    probe->dir = std::move(*dir);
    probe->process = std::move(*spawned);
  }
  if (error.empty()) {
    probe->result.started = true;
    if (spec.timeout.count() > 0) probe->deadline = probe->process.started + spec.timeout;
  } else {
    probe->result.error = std::move(error);
    probe->finished = true;
  }
  Handle handle;
  {
    std::lock_guard lock(mu_);
    handle = next_handle_++;
    probes_.emplace(handle, std::move(probe));
  }
  Wake();
  return handle;
}

ProbeOutput LocalLauncher::Wait(Handle handle) {
  std::unique_lock lock(mu_);
  auto it = probes_.find(handle);
  if (it == probes_.end()) {
    ProbeOutput unknown;
    unknown.error = "timerbisect: internal error: probe " + std::to_string(handle) +
                    " was never started or was already waited for";
    return unknown;
  }
  finished_.wait(lock, [&] { return it->second->finished; });
  // A probe seen ending once Ctrl-C began was killed by it: not a result.
  // The one place this is checked: this thread, not the IO thread, hands
  // results out, and the IO thread may look just before the flag is set.
  if (registry::Interrupted()) {
    lock.unlock();
    registry::AwaitInterruptExit();
  }
  std::unique_ptr<Probe> probe = std::move(it->second);
  probes_.erase(it);
  lock.unlock();
  if (probe->result.started) {
    probe->result.report = ReadWholeFile(probe->dir / kReportFileName);
    RemoveProbeDir(probe->dir);
  }
  return std::move(probe->result);
}

void LocalLauncher::Wake() {
  std::uint64_t one = 1;
  ssize_t ignored = write(wake_fd_.get(), &one, sizeof one);
  (void)ignored;
}

void LocalLauncher::Loop() {
  std::vector<pollfd> fds;
  std::unique_lock lock(mu_);
  for (;;) {
    Clock::time_point now = Clock::now();
    bool any_finished = false;
    bool any_running = false;
    int timeout_ms = -1;
    auto wake_by = [&](int ms) { timeout_ms = timeout_ms < 0 ? ms : std::min(timeout_ms, ms); };
    fds.clear();
    fds.push_back({wake_fd_.get(), POLLIN, 0});
    for (auto& [handle, probe] : probes_) {
      if (probe->finished) continue;
      if (Service(*probe, now)) {
        any_finished = true;
        continue;
      }
      any_running = true;
      // Only this thread closes an unfinished probe's descriptors, and Wait
      // removes only finished probes: these stay valid while unlocked.
      if (probe->process.output.valid()) fds.push_back({probe->process.output.get(), POLLIN, 0});
      if (probe->exited) {
        wake_by(MillisecondsUntil(probe->drain_deadline, now));
        continue;
      }
      if (probe->process.exit_fd.valid()) {
        fds.push_back({probe->process.exit_fd.get(), POLLIN, 0});
      } else {
        wake_by(kExitPollMs);
      }
      if (probe->deadline && !probe->result.timed_out) {
        wake_by(MillisecondsUntil(*probe->deadline, now));
      }
    }
    if (any_finished) finished_.notify_all();
    if (stopping_ && !any_running) return;

    lock.unlock();
    int ready = poll(fds.data(), fds.size(), timeout_ms);
    if (ready > 0 && fds[0].revents != 0) {
      std::uint64_t count;
      ssize_t ignored = read(wake_fd_.get(), &count, sizeof count);
      (void)ignored;
    }
    lock.lock();
  }
}

bool LocalLauncher::Service(Probe& probe, Clock::time_point now) {
  SpawnedProbe& process = probe.process;
  ProbeOutput& result = probe.result;

  char buf[65536];
  for (std::size_t taken = 0; process.output.valid() && taken < kReadBurst;) {
    ssize_t n = read(process.output.get(), buf, sizeof buf);
    if (n > 0) {
      probe.buffer.Append(std::string_view(buf, static_cast<std::size_t>(n)));
      taken += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0 || errno != EAGAIN) process.output.Reset();  // EOF: every writer is gone
      break;
    }
  }

  if (!probe.exited) {
    siginfo_t info{};
    // WNOWAIT: look without reaping. Until we reap it, the exited leader
    // keeps its pid, so the group id cannot be reused under our kill.
    int rc = waitid(P_PID, static_cast<id_t>(process.pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0 && info.si_pid == process.pid) {
      // What is left of the group (`cmd &` grandchildren, daemons) goes too,
      // so nothing outlives the probe or holds its pipe open.
      kill(-process.pid, SIGKILL);
      registry::Release(process.slot);
      int status = 0;
      while (waitpid(process.pid, &status, 0) < 0 && errno == EINTR) {
      }
      result.duration = now - process.started;
      if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
      probe.exited = true;
      probe.drain_deadline = now + options_.drain_timeout;
      process.exit_fd.Reset();
    } else if (rc < 0 && errno == ECHILD) {
      // Reaped behind our back (SIGCHLD set to SIG_IGN in the driver): the
      // pid may be reused already, so do not signal the group.
      registry::Release(process.slot);
      result.error = "timerbisect: lost the probe's exit status; do not ignore SIGCHLD";
      result.duration = now - process.started;
      probe.exited = true;
      probe.drain_deadline = now + options_.drain_timeout;
      process.exit_fd.Reset();
    } else if (probe.deadline && !result.timed_out && now >= *probe.deadline) {
      KillProcessTree(process.pid);
      result.timed_out = true;
    }
  }

  if (probe.exited && (!process.output.valid() || now >= probe.drain_deadline)) {
    process.output.Reset();
    result.output = probe.buffer.Take();
    probe.finished = true;
  }
  return probe.finished;
}

}  // namespace timerbisect::run
