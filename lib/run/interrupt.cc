#include "run/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <system_error>

#include "run/probe_registry.h"

namespace timerbisect::run {
namespace {

// The innermost guard's pipe, for the forwarding handler; -1 when none.
std::atomic<int> g_wake_fd{-1};
// Handlers between reading g_wake_fd and their write: a guard's end waits
// for them before its pipe may close.
std::atomic<int> g_in_handler{0};

sigset_t InterruptSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// For a thread that does not block the signals: async-signal-safe, and
// nothing but a write (signal-safety(7)).
void ForwardSignal(int signo) {
  int saved_errno = errno;
  g_in_handler.fetch_add(1);
  int fd = g_wake_fd.load();
  unsigned char byte = static_cast<unsigned char>(signo);
  if (fd >= 0) {
    ssize_t ignored = write(fd, &byte, 1);
    (void)ignored;
  }
  g_in_handler.fetch_sub(1);
  errno = saved_errno;
}

void Install(int signo, struct sigaction* old) {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = ForwardSignal;
  action.sa_mask = InterruptSignals();
  action.sa_flags = SA_RESTART;
  sigaction(signo, &action, old);
}

[[noreturn]] void StopProbesAndExit(int signo, InterruptGuard::LastWords* last_words) {
  int stopped = registry::StopAllForInterrupt();
  std::string line = "timerbisect: interrupted; stopped " + std::to_string(stopped) +
                     (stopped == 1 ? " running probe\n" : " running probes\n");
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
  {
    std::lock_guard lock(last_words->mu);
    if (last_words->say) last_words->say(signo);
  }
  _exit(128 + signo);
}

// The guard's thread: waits for a signal (from the signalfd, or forwarded
// through the pipe) and acts on it, or for a 0 byte and returns.
void WaitForInterrupt(int signal_fd, int wake_fd, InterruptGuard::LastWords* last_words) {
  for (;;) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    signalfd_siginfo info;
    if (fds[0].revents != 0 && read(signal_fd, &info, sizeof info) == sizeof info) {
      StopProbesAndExit(static_cast<int>(info.ssi_signo), last_words);
    }
    unsigned char byte = 0;
    if (fds[1].revents != 0 && read(wake_fd, &byte, 1) == 1) {
      if (byte == 0) return;
      StopProbesAndExit(byte, last_words);
    }
  }
}

}  // namespace

InterruptGuard::InterruptGuard() {
  sigset_t signals = InterruptSignals();
  // Blocked first: from here a signal waits for the signalfd, never the
  // previous handler.
  pthread_sigmask(SIG_BLOCK, &signals, &old_mask_);
  std::string why;
  int pipe_fds[2];
  signals_.Reset(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signals_.valid()) {
    why = std::string("signalfd: ") + std::strerror(errno);
  } else if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    why = std::string("pipe: ") + std::strerror(errno);
  } else {
    wake_read_.Reset(pipe_fds[0]);
    wake_write_.Reset(pipe_fds[1]);
    try {
      waiter_ = std::thread(WaitForInterrupt, signals_.get(), wake_read_.get(), last_words_.get());
    } catch (const std::system_error& e) {
      why = std::string("thread: ") + e.what();
    }
  }
  if (!waiter_.joinable()) {
    // Without the guard the reaper (run/probe_reaper.h) still kills the
    // probes once this process is gone.
    std::cerr << "timerbisect: cannot watch for Ctrl-C (" << why
              << "); an interrupt will leave the running probes to be killed after this "
                 "process exits\n";
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    return;
  }
  outer_wake_ = g_wake_fd.exchange(wake_write_.get());
  Install(SIGINT, &old_int_);
  Install(SIGTERM, &old_term_);
  Install(SIGHUP, &old_hup_);
}

void InterruptGuard::SetLastWords(std::function<void(int signo)> last_words) {
  std::lock_guard lock(last_words_->mu);
  last_words_->say = std::move(last_words);
}

InterruptGuard::~InterruptGuard() {
  if (!waiter_.joinable()) return;
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGHUP, &old_hup_, nullptr);
  g_wake_fd.store(outer_wake_);
  while (g_in_handler.load() > 0) std::this_thread::yield();
  unsigned char stop = 0;
  ssize_t ignored = write(wake_write_.get(), &stop, 1);
  (void)ignored;
  waiter_.join();
  // A signal that came meanwhile is delivered here, to the previous handler.
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace timerbisect::run
