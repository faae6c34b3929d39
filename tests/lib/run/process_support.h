// What the lib/run tests share for running real processes: /bin/sh,
// /bin/true, /bin/false and the helpers in tests/progs/run_*.c (their paths
// come in as RUN_<NAME> definitions).
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "files.h"
#include "run/probe.h"

namespace timerbisect::run {

// True if this test process became the subreaper of its descendants
// (process_support.cc, at start-up): probes' grandchildren, killed with
// their group, are orphans, and a subreaper's WaitGroupGone can reap them
// instead of waiting for init (which may reap slowly, or never in a
// container).
extern const bool kSubreaper;

// A generous bound for things that must happen, so a broken build fails
// instead of hanging; never a performance threshold.
inline constexpr std::chrono::seconds kPatience{30};

inline ProbeSpec Command(std::vector<std::string> argv,
                         std::vector<std::pair<std::string, std::string>> env = {}) {
  ProbeSpec spec;
  spec.argv = std::move(argv);
  spec.env = std::move(env);
  return spec;
}

inline ProbeSpec Shell(std::string script) {
  ProbeSpec spec;
  spec.argv = {std::move(script)};
  spec.shell = true;
  return spec;
}

class TempDir {
 public:
  TempDir() {
    std::string name = (std::filesystem::temp_directory_path() / "run_test-XXXXXX").string();
    if (mkdtemp(name.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    path_ = name;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::filesystem::path& path, const std::string& contents,
                      std::filesystem::perms perms) {
  std::ofstream(path) << contents;
  std::filesystem::permissions(path, perms);
}

// True once no process of group `pgid` is left, zombies included.
inline bool WaitGroupGone(pid_t pgid) {
  auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < give_up) {
    while (waitpid(-pgid, nullptr, WNOHANG) > 0) {
    }
    if (kill(-pgid, 0) == -1 && errno == ESRCH) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// The first integer in `text` after `word`, or -1.
inline pid_t NumberAfter(const std::string& text, const std::string& word) {
  std::size_t at = text.find(word);
  if (at == std::string::npos) return -1;
  return static_cast<pid_t>(std::atoi(text.c_str() + at + word.size()));
}

// The contents of `path` once it holds a complete line, or "" after kPatience.
inline std::string WaitForLine(const std::filesystem::path& path) {
  auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < give_up) {
    std::string contents = testing::ReadFile(path);
    if (!contents.empty() && contents.back() == '\n') return contents;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

}  // namespace timerbisect::run
