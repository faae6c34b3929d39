// The single-node Slurm of scripts/slurm_local.sh, for the tests of
// `--launcher slurm`: started once per test process (quick when it already
// runs), or a reason to skip; and the jobs a driver left in squeue.
#pragma once

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

namespace timerbisect::testing {

// Runs a shell command; its exit code and its output (stdout and stderr).
inline int Capture(const std::string& command, std::string* output) {
  std::string text;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  int status = pclose(pipe);
  if (output != nullptr) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// "" when the cluster is up; else why the tests cannot use it (the
// script's one line: not root, no apt-get, daemons that did not start).
// When the script had to start it, marks `started_mark` so the ctest
// fixture that runs after every Slurm test stops it again.
inline std::string StartSlurm(const std::string& script, const std::string& started_mark) {
  static std::string reason = [&] {
    std::string out;
    if (Capture(script + " status", &out) == 0) return std::string();
    int code = Capture(script + " start", &out);
    if (code == 0) {
      FILE* mark = fopen(started_mark.c_str(), "w");
      if (mark != nullptr) fclose(mark);
      return std::string();
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return "no single-node Slurm (scripts/slurm_local.sh start exited " + std::to_string(code) +
           "): " + out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  }();
  return reason;
}

// The names of the jobs in squeue (any state) that start with `prefix`.
inline std::string JobsNamed(const std::string& prefix) {
  std::string out;
  Capture("squeue --noheader --format='%j %T' | grep -F '" + prefix + "' || true", &out);
  return out;
}

// The job-name prefix of a driver (run/slurm_launcher.h) with this pid.
inline std::string DriverJobPrefix(pid_t pid) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return "timerbisect-" + std::string(host) + "-" + std::to_string(pid) + "-";
}

// Waits up to `patience` for squeue to hold no job starting with `prefix`
// (a cancelled job stays a few seconds in COMPLETING); returns what is left.
inline std::string JobsLeftAfter(const std::string& prefix, std::chrono::seconds patience) {
  auto give_up = std::chrono::steady_clock::now() + patience;
  std::string left = JobsNamed(prefix);
  while (!left.empty() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    left = JobsNamed(prefix);
  }
  return left;
}

}  // namespace timerbisect::testing
