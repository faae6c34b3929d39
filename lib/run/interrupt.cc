#include "run/interrupt.h"

#include <unistd.h>

#include <cstring>

#include "run/probe_registry.h"

namespace timerbisect::run {
namespace {

// Appends the decimal digits of n (n >= 0) at p; returns the new end.
char* AppendDecimal(char* p, int n) {
  char digits[12];
  int len = 0;
  do {
    digits[len++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  while (len > 0) *p++ = digits[--len];
  return p;
}

char* AppendText(char* p, const char* text) {
  std::size_t n = std::strlen(text);
  std::memcpy(p, text, n);
  return p + n;
}

// Runs on whichever thread the kernel picks; only async-signal-safe calls
// (signal-safety(7)): kill, nanosleep, unlink, rmdir, write, _exit.
void OnInterrupt(int signo) {
  int stopped = registry::StopAllForInterrupt();
  char line[96];
  char* p = AppendText(line, "timerbisect: interrupted; stopped ");
  p = AppendDecimal(p, stopped);
  p = AppendText(p, stopped == 1 ? " running probe\n" : " running probes\n");
  ssize_t ignored = write(STDERR_FILENO, line, static_cast<std::size_t>(p - line));
  (void)ignored;
  _exit(128 + signo);
}

void Install(int signo, struct sigaction* old) {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = OnInterrupt;
  // A second Ctrl-C while the handler runs must not start it over.
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  sigaddset(&action.sa_mask, SIGHUP);
  sigaction(signo, &action, old);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  Install(SIGINT, &old_int_);
  Install(SIGTERM, &old_term_);
  Install(SIGHUP, &old_hup_);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGHUP, &old_hup_, nullptr);
}

}  // namespace timerbisect::run
