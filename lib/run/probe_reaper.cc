#include "run/probe_reaper.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace timerbisect::run::reaper {
namespace {

std::atomic<int> g_socket{-1};
std::atomic<pid_t> g_owner{0};  // the process that started the reaper
std::mutex g_start;

constexpr int kMaxGroups = 4096;
// A message that is not a group: this tag, the byte count, the command.
constexpr std::int32_t kCleanupTag = INT32_MIN;
constexpr std::size_t kMaxCleanup = 4000;

// Reads exactly n bytes; false at EOF or on an error.
bool ReadAll(int fd, void* buf, std::size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t got = recv(fd, p, n, MSG_WAITALL);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

// The reaper's whole life, in the forked child: only async-signal-safe
// calls (the driver may have threads).
[[noreturn]] void RunReaper(int fd) {
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) {
    sigaction(signo, &ignore, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  // Hold nothing of the driver's: its output pipes must reach EOF when it
  // exits, not when the reaper does.
  int null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    for (int target = 0; target <= 2; ++target) dup2(null_fd, target);
  }
  if (fd != 3) {
    dup2(fd, 3);
    fd = 3;
  }
  syscall(SYS_close_range, 4U, ~0U, 0U);

  static pid_t groups[kMaxGroups];
  static char cleanup[kMaxCleanup + 1];
  int count = 0;
  while (true) {
    std::int32_t value = 0;
    if (!ReadAll(fd, &value, sizeof value)) break;  // the driver is gone
    if (value == kCleanupTag) {
      std::int32_t length = 0;
      if (!ReadAll(fd, &length, sizeof length) || length < 0 ||
          static_cast<std::size_t>(length) > kMaxCleanup ||
          !ReadAll(fd, cleanup, static_cast<std::size_t>(length))) {
        break;
      }
      cleanup[length] = '\0';
    } else if (value > 0) {
      if (count < kMaxGroups) groups[count++] = value;
    } else if (value < 0) {
      for (int i = 0; i < count; ++i) {
        if (groups[i] == -value) {
          groups[i] = groups[--count];
          break;
        }
      }
    }
  }
  for (int i = 0; i < count; ++i) kill(-groups[i], SIGKILL);
  if (cleanup[0] != '\0') {
    execl("/bin/sh", "sh", "-c", cleanup, static_cast<char*>(nullptr));
  }
  _exit(0);
}

void Send(std::int32_t value) {
  int fd = g_socket.load(std::memory_order_acquire);
  if (fd < 0 || g_owner.load(std::memory_order_acquire) != getpid()) return;
  while (send(fd, &value, sizeof value, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

}  // namespace

void Start() {
  std::lock_guard<std::mutex> lock(g_start);
  pid_t self = getpid();
  if (g_socket.load() >= 0 && g_owner.load() == self) return;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    RunReaper(fds[1]);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return;
  }
  // Not waited for: it exits when this process does (EOF), and is then
  // reaped by whoever inherits it. A driver that exits normally has
  // forgotten every group by then.
  int old = g_socket.exchange(fds[0]);
  if (old >= 0) close(old);  // a fork child's inherited copy
  g_owner.store(self, std::memory_order_release);
}

void Track(pid_t pgid) {
  if (pgid > 0) Send(static_cast<std::int32_t>(pgid));
}

void Forget(pid_t pgid) {
  if (pgid > 0) Send(-static_cast<std::int32_t>(pgid));
}

void SetCleanup(const std::string& shell_command) {
  if (shell_command.size() > kMaxCleanup) return;
  Start();
  int fd = g_socket.load(std::memory_order_acquire);
  if (fd < 0 || g_owner.load(std::memory_order_acquire) != getpid()) return;
  // One send: Track and Forget from other threads cannot cut into it.
  std::string message(2 * sizeof(std::int32_t) + shell_command.size(), '\0');
  std::int32_t header[2] = {kCleanupTag, static_cast<std::int32_t>(shell_command.size())};
  std::memcpy(message.data(), header, sizeof header);
  std::memcpy(message.data() + sizeof header, shell_command.data(), shell_command.size());
  while (send(fd, message.data(), message.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

}  // namespace timerbisect::run::reaper
