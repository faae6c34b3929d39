// Lazy initialization: parse the environment, open the report file,
// announce the shim, register the fork handler.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "clock_ahead.h"
#include "exec.h"
#include "fd_table.h"
#include "own_fds.h"
#include "protocol/shim_lines.h"
#include "real.h"
#include "signal_stale.h"
#include "site.h"
#include "state.h"
#include "watch.h"

namespace timerbisect::shim {

thread_local bool t_in_shim __attribute__((tls_model("initial-exec"))) = false;
std::atomic<ShimState> g_state{ShimState::kUninitialized};

namespace {

// Constructed in place at init and never destroyed: interceptors may run
// during exit, after static destructors.
alignas(Config) unsigned char g_config_storage[sizeof(Config)];
Config* g_config = nullptr;
std::atomic<int> g_report_fd{2};
// The report file's identity, to tell it from a file that took its number.
std::atomic<std::uint64_t> g_report_dev{0}, g_report_ino{0};
std::atomic<pid_t> g_state_pid{0};

void RememberReportFile(int fd) {
  struct stat st;
  if (syscall(SYS_fstat, fd, &st) != 0) return;
  g_report_dev.store(st.st_dev, std::memory_order_relaxed);
  g_report_ino.store(st.st_ino, std::memory_order_release);
}

bool IsStillReportFile(int fd) {
  struct stat st;
  if (syscall(SYS_fstat, fd, &st) != 0) {
    // Only EBADF says the number is free. A sandbox that refuses fstat
    // (EPERM) says nothing: reopening on it leaked a descriptor per report
    // line, until reports stopped.
    return errno != EBADF;
  }
  return st.st_ino == g_report_ino.load(std::memory_order_acquire) &&
         st.st_dev == g_report_dev.load(std::memory_order_relaxed);
}

// The report file's number was taken: open it again, high, as at init.
int ReopenReportFile(int lost) {
  int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, g_config->report_path.c_str(),
                                    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (fd < 0) return -1;
  DisownFd(lost);  // the number is the program's now
  fd = AdoptOwnFd(fd);
  RememberReportFile(fd);
  int expected = lost;
  if (!g_report_fd.compare_exchange_strong(expected, fd)) {
    syscall(SYS_close, fd);  // another thread reopened it first
    DisownFd(fd);
    return expected;
  }
  return fd;
}

// False when a write failed (errno says why).
bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = syscall(SYS_write, fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// No prepare or parent handler: nothing the shim does takes a lock that a
// fork could leave held (the stack walk is lock-free, site.cc).
void ForkChild() {
  g_state_pid.store(static_cast<pid_t>(syscall(SYS_getpid)), std::memory_order_release);
  // Per-process state: the child reports its sites again, has its own
  // POSIX timers (none: they are not inherited) and its own watch counters.
  ResetSitesAfterFork();
  ForgetPosixTimersAfterFork();
  ResetWatchAfterFork();  // watch mode: the child counts and reports its own
}

ShimState Initialize() {
  ShimScope scope;
  // Inert or not, every call ends in a real function: resolve them all now,
  // not in whatever signal handler makes the first call.
  ResolveAllReal();
  g_config = new (g_config_storage) Config();
  std::string error;
  if (!ParseConfig(*g_config, error)) {
    error += '\n';
    WriteAll(2, error.data(), error.size());
    return ShimState::kInert;
  }
  if (!g_config->active) {
    return ShimState::kInert;
  }
  if (!g_config->report_path.empty()) {
    // O_NONBLOCK: a FIFO nobody reads blocked the open, so every process
    // hung before main (it fails with ENXIO instead); the writes block
    // again, so that a full pipe loses no line.
    int fd = open(g_config->report_path.c_str(),
                  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd >= 0) fcntl(fd, F_SETFL, O_APPEND);
    const auto refuse = [](const char* what) {
      std::string msg =
          OneLine("timerbisect: bad TIMERSEM_REPORT=\"" + g_config->report_path + "\": " + what +
                  " (" + std::strerror(errno) + "); the shim stays inert") +
          "\n";
      WriteAll(2, msg.data(), msg.size());
      return ShimState::kInert;
    };
    if (fd < 0) {
      return refuse(errno == ENXIO ? "a FIFO that nobody reads" : "cannot open it for appending");
    }
    fd = AdoptOwnFd(fd);  // high, and out of the program's reach
    RememberReportFile(fd);
    // A reopen (ReopenReportFile) must find this file even after the
    // program changes directory.
    if (g_config->report_path[0] != '/') {
      char cwd[4096];
      if (getcwd(cwd, sizeof cwd) != nullptr) {
        g_config->report_path = std::string(cwd) + "/" + g_config->report_path;
      }
    }
    g_report_fd.store(fd, std::memory_order_release);
    // Tells the driver the shim was loaded, even if no timer is ever used.
    char line[512];
    int n = std::snprintf(line, sizeof line, TIMERBISECT_SHIM_ACTIVE "pid=%d TIMERSEM=%s\n",
                          static_cast<int>(getpid()), g_config->timersem.c_str());
    // A file that opens but takes nothing (/dev/full, most of /proc) would
    // lose every report without a word.
    if (n > 0 &&
        !WriteAll(fd, line, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1))) {
      const int write_error = errno;
      syscall(SYS_close, fd);
      DisownFd(fd);
      g_report_fd.store(2, std::memory_order_release);
      errno = write_error;
      return refuse("cannot write to it");
    }
  }
  g_state_pid.store(static_cast<pid_t>(syscall(SYS_getpid)), std::memory_order_release);
  InitSites(*g_config);
  InitExecCheck();
  pthread_atfork(nullptr, nullptr, ForkChild);
  return ShimState::kActive;
}

}  // namespace

ShimState InitSlow() {
  ShimState expected = ShimState::kUninitialized;
  if (g_state.compare_exchange_strong(expected, ShimState::kInitializing,
                                      std::memory_order_acq_rel)) {
    ShimState result = Initialize();
    g_state.store(result, std::memory_order_release);
    return result;
  }
  // Another thread is initializing; it never blocks, so wait for it.
  while ((expected = g_state.load(std::memory_order_acquire)) == ShimState::kInitializing) {
    sched_yield();
  }
  return expected;
}

const Config& GetConfig() {
  return *g_config;
}
int ReportFd() {
  int fd = g_report_fd.load(std::memory_order_acquire);
  if (fd <= 2 || IsStillReportFile(fd)) return fd;
  return ReopenReportFile(fd);
}

bool InForeignProcess() {
  return static_cast<pid_t>(syscall(SYS_getpid)) != g_state_pid.load(std::memory_order_acquire);
}

bool IsReportFile(int fd) {
  return fd > 2 && fd == g_report_fd.load(std::memory_order_acquire);
}

void MoveReportFd() {
  int old_fd = g_report_fd.load(std::memory_order_acquire);
  // Any free number, then as high in the table as one is free.
  int moved = static_cast<int>(syscall(SYS_fcntl, old_fd, F_DUPFD_CLOEXEC, 3));
  if (moved < 0) return;  // no free number: the program's call goes ahead and reports stop
  DisownFd(old_fd);
  moved = AdoptOwnFd(moved);
  g_report_fd.store(moved, std::memory_order_release);
  syscall(SYS_close, old_fd);
}

std::int64_t MonotonicNs() {
  timespec ts;
  RealClockGettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

// Initialize at load time too, so the first timer call pays nothing extra.
__attribute__((constructor)) static void InitAtLoad() {
  EnsureInit();
}

}  // namespace timerbisect::shim
