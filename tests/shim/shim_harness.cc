#include "shim_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "files.h"
#include "protocol/marker.h"

namespace timerbisect::testing {
namespace {

std::string TempPath(const char* tag) {
  std::string tmpl = std::string(::testing::TempDir()) + "tb-" + tag + "-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  return tmpl;
}

}  // namespace

std::string ProgPath(const std::string& name) {
  if (!name.empty() && name[0] == '/') return name;
  return std::string(TIMERBISECT_PROGS_DIR) + "/prog_" + name;
}

std::string ShimPath() {
  return TIMERBISECT_SHIM;
}

ShimRun RunUnderShim(const std::string& prog, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env_in, int timeout_s) {
  std::map<std::string, std::string> env = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/tmp"}};
  // Sanitizer options must reach the child too.
  for (const char* keep : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* v = getenv(keep)) env[keep] = v;
  }
  env["LD_PRELOAD"] = ShimPath();
  std::string report_path;
  if (!env_in.count("TIMERSEM_REPORT")) {
    report_path = TempPath("report");
    env["TIMERSEM_REPORT"] = report_path;
  }
  for (const auto& [k, v] : env_in) {
    if (v == "\x01") {
      env.erase(k);
    } else {
      env[k] = v;
    }
  }
  if (env["LD_PRELOAD"].empty()) env.erase("LD_PRELOAD");

  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string path = ProgPath(prog);
  std::vector<std::string> argv_strings = {path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  std::string out_path = TempPath("out"), err_path = TempPath("err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_TRUNC, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_TRUNC, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot spawn " + path);

  int status = 0;
  for (int waited_ms = 0;; waited_ms += 10) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (waited_ms >= timeout_s * 1000) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    usleep(10000);
  }
  ShimRun run;
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  if (!report_path.empty()) run.report = ReadFile(report_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  if (!report_path.empty()) unlink(report_path.c_str());
  return run;
}

ShimRun RunProg(const std::string& prog, const std::string& behaviour, const std::string& timersem,
                const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env = extra;
  env["TIMERSEM"] = timersem;
  ShimRun run = RunUnderShim(prog, {behaviour}, env);
  EXPECT_EQ(run.exit_code, 0) << prog << " " << behaviour << " " << timersem << ": " << run.err;
  return run;
}

std::string Out(const std::string& prog, const std::string& behaviour, const std::string& timersem,
                const std::map<std::string, std::string>& extra) {
  return RunProg(prog, behaviour, timersem, extra).out;
}

std::string Kernel(const std::string& prog, const std::string& behaviour) {
  ShimRun run = RunUnderShim(prog, {behaviour}, {{"LD_PRELOAD", ""}});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run.out;
}

std::string OldRunWithinLag(const std::string& prog, const std::string& behaviour,
                            const std::map<std::string, std::string>& extra) {
  constexpr long long kLagNs = 1'000'000;
  return FirstRunThat(
      20, [&] { return Out(prog, behaviour, "old", extra); },
      [](const std::string& out) {
        std::string window = Field(out, "window_ns");
        return !window.empty() && std::stoll(window) < kLagNs;
      },
      prog + " " + behaviour + ": no run looked within the lag");
}

std::string LookedInTime(const std::string& prog, const std::string& behaviour,
                         const std::string& timersem,
                         const std::map<std::string, std::string>& extra) {
  return FirstRunThat(
      10, [&] { return Out(prog, behaviour, timersem, extra); },
      [](const std::string& out) { return Field(out, "looked_in_time") == "1"; },
      prog + " " + behaviour + ": no run looked before the request was due");
}

std::string OldPattern(std::uint64_t id) {
  char pattern[64];
  std::snprintf(pattern, sizeof pattern, "old#x%016llx", static_cast<unsigned long long>(id));
  return pattern;
}

std::set<std::uint64_t> ReportedIds(const std::string& report) {
  std::set<std::uint64_t> ids;
  std::istringstream in(report);
  std::string line;
  while (std::getline(in, line)) {
    auto cut = protocol::CutMarker(line);
    if (cut.found) ids.insert(cut.id);
  }
  return ids;
}

void ExpectEachSiteFlipsAlone(const std::string& prog) {
  ShimRun all_new = RunProg(prog, "two", "new#y");
  EXPECT_EQ(Field(all_new.out, "stale_a"), "0");
  EXPECT_EQ(Field(all_new.out, "stale_b"), "0");
  std::set<std::uint64_t> ids = ReportedIds(all_new.report);
  ASSERT_EQ(ids.size(), 2u) << all_new.report;
  std::string flipped;  // which site each ID turned old, in ID order
  for (std::uint64_t id : ids) {
    ShimRun one_old = RunProg(prog, "two", OldPattern(id));
    std::string a = Field(one_old.out, "stale_a");
    std::string b = Field(one_old.out, "stale_b");
    ASSERT_NE(a, b) << "exactly one site must be old: " << one_old.out;
    flipped += a == "1" ? "a" : "b";
    EXPECT_EQ(ReportedIds(one_old.report), std::set<std::uint64_t>{id});
  }
  EXPECT_TRUE(flipped == "ab" || flipped == "ba") << flipped;
  ShimRun none = RunProg(prog, "two", OldPattern(*ids.begin() ^ *ids.rbegin() ^ 1));
  EXPECT_EQ(Field(none.out, "stale_a"), "0");
  EXPECT_EQ(Field(none.out, "stale_b"), "0");
}

std::string Field(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + " ", 0) == 0 || line.rfind(key + "=", 0) == 0) {
      std::string rest = line.substr(key.size() + 1);
      auto space = rest.find(' ');
      return rest.substr(0, space);
    }
  }
  return "";
}

}  // namespace timerbisect::testing
