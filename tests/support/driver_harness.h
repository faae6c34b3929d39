// The one harness of the driver and example tests: running the built driver
// (TIMERBISECT_DRIVER, with the shim TIMERBISECT_SHIM) or any program, with
// a scratch directory per test, the child in its own process group with
// stdout and stderr in files, killed with its group after a deadline; and
// reading what it found (culprit frames, the reproduction data).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "files.h"
#include "report/reproduction.h"

namespace timerbisect::testing {

// A scratch directory per test, removed afterwards. Its path is unique, so
// it can double as a marker that finds a target's processes in /proc.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag = "e2e") {
    std::string tmpl = ::testing::TempDir() + "tb-" + tag + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Lines (1-based) of the file at `path` that contain `marker` (the
// `// CULPRIT` comments of the examples, read at test time).
inline std::vector<int> MarkedLines(const std::string& path, const std::string& marker) {
  std::ifstream in(path);
  std::vector<int> lines;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(marker) != std::string::npos) lines.push_back(number);
  }
  return lines;
}

struct Exit {
  int code = -1;  // exit status, or -1 when killed or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Starts argv (no shell) with stdin from /dev/null and stdout and stderr in
// the files given, in its own process group (its pid), killed with the test
// (PR_SET_PDEATHSIG). Returns the pid, or -1 when fork failed.
inline pid_t StartChild(const std::vector<std::string>& argv, const std::string& out_path,
                        const std::string& err_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    // Killed with the test (ctest's timeout): a driver outliving its test
    // would go on running probes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  if (pid > 0) setpgid(pid, pid);  // also here, so a kill of the group cannot miss it
  return pid;
}

// Waits for a StartChild child; past `kill_after` its process group is
// killed and the result says timed_out. Then reads its output files.
inline Exit WaitChild(pid_t pid, std::chrono::milliseconds kill_after, const std::string& out_path,
                      const std::string& err_path) {
  Exit result;
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return result;
  }
  auto deadline = std::chrono::steady_clock::now() + kill_after;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    timespec pause = {0, 5'000'000};
    nanosleep(&pause, nullptr);
  }
  if (!result.timed_out && WIFEXITED(status)) result.code = WEXITSTATUS(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

// Runs argv as StartChild does, with the files in `dir`; its process group
// is killed after `kill_after`.
inline Exit RunCommand(const ScratchDir& dir, const std::vector<std::string>& argv,
                       std::chrono::milliseconds kill_after) {
  std::string out_path = dir.File("run.out"), err_path = dir.File("run.err");
  return WaitChild(StartChild(argv, out_path, err_path), kill_after, out_path, err_path);
}

// The command that reproduces a found set (a --json "sets" entry) with its
// mode swapped: the culprit sites get the passing semantics and every other
// site the failing one. Built from the set's "reproduction" data; "" when it
// has none or sets no TIMERSEM=new#/old#.
inline std::string FlippedCommand(const nlohmann::json& set) {
  auto r = report::ReproductionFromJson(set.value("reproduction", nlohmann::json()));
  if (!r) return "";
  for (auto& [name, value] : r->env) {
    if (name != "TIMERSEM") continue;
    if (!value.starts_with("new#") && !value.starts_with("old#")) return "";
    value.replace(0, 3, value.starts_with("new#") ? "old" : "new");
    return report::ShellLine(*r);
  }
  return "";
}

// Checks a found set's aspects (a --json "sets" entry): `aspect` must be
// among them when the search was deterministic (confidence 1). When load
// made the example's native side fail now and then, the search saw a flaky
// target, and the driver attributes no aspects at all (cmd/session.cc,
// AspectsThatFail).
inline void ExpectAspect(const nlohmann::json& set, const std::string& aspect) {
  std::vector<std::string> aspects = set.value("aspects", std::vector<std::string>{});
  if (set.value("confidence", 0.0) >= 1.0) {
    EXPECT_NE(std::find(aspects.begin(), aspects.end(), aspect), aspects.end())
        << set.value("aspects", nlohmann::json::array()).dump();
  } else {
    EXPECT_EQ(aspects, std::vector<std::string>{}) << set.dump();
  }
}

// The culprit's frame of a found site (a --json "sites" entry): the
// innermost frame in examples/<example>/main.c, as "function main.c:line".
inline std::string CulpritFrame(const nlohmann::json& site, const std::string& example) {
  const std::string source = "examples/" + example + "/main.c";
  for (const nlohmann::json& frame : site.value("frames", nlohmann::json::array())) {
    if (frame.value("file", "").ends_with(source)) {
      return frame.value("function", "") + " main.c:" + std::to_string(frame.value("line", 0));
    }
  }
  return "(no frame in " + source + ")";
}

// RunCli: argv run to completion (no deadline), exit code and output.
struct CliRun {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out;
  std::string err;
};

// A file name in the test's temp dir, unique per call.
inline std::string TempPath(const std::string& stem) {
  static int counter = 0;
  return ::testing::TempDir() + "tb-cli-" + std::to_string(getpid()) + "-" +
         std::to_string(counter++) + "-" + stem;
}

// Runs argv with stdout and stderr in temp files; no shell involved.
inline CliRun RunCli(const std::vector<std::string>& argv) {
  std::string out_path = TempPath("out"), err_path = TempPath("err");
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Killed with the test (ctest's timeout): a driver outliving its test
    // would go on running probes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0) _exit(127);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  CliRun run;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  }
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return run;
}

}  // namespace timerbisect::testing
