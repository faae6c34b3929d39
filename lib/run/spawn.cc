#include "run/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "run/preflight.h"
#include "run/probe_registry.h"
#include "run/scratch.h"

extern char** environ;

namespace timerbisect::run {
namespace {

// The value of NAME in the overrides, or nullptr.
const std::string* FindOverride(const std::vector<std::pair<std::string, std::string>>& overrides,
                                const std::string& name) {
  const std::string* value = nullptr;
  for (const auto& [key, v] : overrides) {
    if (key == name) value = &v;  // the last one wins, as with repeated `env` arguments
  }
  return value;
}

// Owns posix_spawn's attribute and file-action objects.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

std::string Join(const std::vector<std::string>& words) {
  std::string joined;
  for (const auto& w : words) {
    if (!joined.empty()) joined += ' ';
    joined += w;
  }
  return joined;
}

}  // namespace

std::vector<std::string> BuildEnvironment(
    const char* const* base, const std::vector<std::pair<std::string, std::string>>& overrides,
    const std::string& report_path) {
  std::vector<std::string> env;
  for (const char* const* e = base; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    if (FindOverride(overrides, name) == nullptr && name != "TIMERSEM_REPORT") env.push_back(entry);
  }
  bool report_set = false;
  for (const auto& [name, value] : overrides) {
    if (FindOverride(overrides, name) != &value) continue;  // overridden again later
    env.push_back(name + "=" + value);
    report_set |= name == "TIMERSEM_REPORT";
  }
  if (!report_set) env.push_back("TIMERSEM_REPORT=" + report_path);
  return env;
}

base::Expected<SpawnedProbe> SpawnProbe(const ProbeSpec& spec, const std::string& dir) {
  auto fail = [](std::string error) {
    return base::Expected<SpawnedProbe>::Fail(std::move(error));
  };
  if (spec.argv.empty()) return fail("timerbisect: no command to run (give it after --)");
  std::string path;
  std::vector<std::string> args;
  if (spec.shell) {
    path = "/bin/sh";
    args = {"sh", "-c", Join(spec.argv)};
  } else {
    // The child's PATH decides, as it would for `env PATH=... cmd`.
    const std::string* child_path = FindOverride(spec.env, "PATH");
    auto resolved = ResolveCommand(spec.argv[0], child_path ? child_path->c_str() : nullptr);
    if (!resolved) return fail(resolved.error());
    path = std::move(*resolved);
    args = spec.argv;
  }
  std::string report_path = dir + "/" + kReportFileName;
  std::vector<std::string> env = BuildEnvironment(environ, spec.env, report_path);
  std::vector<char*> argv_ptrs, env_ptrs;
  for (auto& a : args) argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  for (auto& e : env) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);

  // O_CLOEXEC atomically: a probe started concurrently from another thread
  // must not inherit this pipe's write end and keep it open.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return fail(std::string("timerbisect: cannot create a pipe: ") + std::strerror(errno) +
                "; raise the open-file limit (ulimit -n) or lower -j");
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  fcntl(read_end.get(), F_SETFL, O_NONBLOCK);  // the read end only: the target writes blocking

  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), STDERR_FILENO);
  // Descriptors the driver opened without O_CLOEXEC stay out of the target.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  // Its own process group, so a timeout or Ctrl-C reaches grandchildren. A
  // fresh signal state: a test must not inherit the driver's blocked or
  // ignored signals (an ignored SIGCHLD would even break its waitpid).
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int signo :
       {SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU}) {
    sigaddset(&defaults, signo);
  }
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);

  SpawnedProbe spawned;
  pid_t pid = -1;
  int spawn_error = 0;
  bool interrupted = false;
  {
    // Between posix_spawn and Fill, a Ctrl-C must not kill the registered
    // groups without this one.
    registry::SpawnSection section;
    interrupted = !section.allowed();
    if (!interrupted) {
      int slot = registry::Reserve();
      if (slot < 0) {
        return fail("timerbisect: too many probes in flight (at most " +
                    std::to_string(registry::kMaxProbes) + "); lower -j");
      }
      spawned.started = std::chrono::steady_clock::now();
      // glibc's posix_spawn returns after the child's exec, with exec's errno.
      spawn_error = posix_spawn(&pid, path.c_str(), &setup.actions, &setup.attr, argv_ptrs.data(),
                                env_ptrs.data());
      if (spawn_error == 0) {
        registry::Fill(slot, pid, dir.c_str());
        spawned.slot = slot;
      } else {
        registry::Release(slot);
      }
    }
  }
  // Out of the section, which the interrupt waits for: it exits the process.
  if (interrupted) registry::AwaitInterruptExit();
  if (spawn_error != 0) {
    std::string hint = spawn_error == ENOEXEC ? " (a script needs a #! line)" : "";
    return fail("timerbisect: cannot run " + path + ": " + std::strerror(spawn_error) + hint);
  }
  spawned.pid = pid;
  spawned.output = std::move(read_end);
  // Nothing else reaps our children, so the pid stays ours until we wait.
  // The raw syscall: glibc 2.36's <sys/pidfd.h> has no extern "C" block
  // for C++, and older glibc has no wrapper. Fails harmlessly before Linux 5.3.
  spawned.exit_fd = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  return spawned;
}

}  // namespace timerbisect::run
