// Runs the built `timerbisect` driver (or any program) for the CLI tests:
// argv in, exit code and the captured stdout and stderr out.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace timerbisect::testing {

struct CliRun {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out;
  std::string err;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

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
  run.out = ReadWholeFile(out_path);
  run.err = ReadWholeFile(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return run;
}

}  // namespace timerbisect::testing
