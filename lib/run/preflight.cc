#include "run/preflight.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "base/words.h"
#include "run/elf_inspect.h"
#include "run/unique_fd.h"

namespace timerbisect::run {
namespace {

constexpr char kPrefix[] = "timerbisect: ";

// Scripts may run scripts; Linux itself allows 4 levels (BINPRM_MAX_RECURSION).
constexpr int kMaxInterpreterDepth = 4;

// The words of a "#!" line after the "#!", or nothing if the file has none.
std::vector<std::string> ShebangWords(int fd) {
  char buf[256];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  if (n < 2 || buf[0] != '#' || buf[1] != '!') return {};
  std::string line(buf + 2, static_cast<std::size_t>(n - 2));
  line = line.substr(0, line.find('\n'));
  std::istringstream words(line);
  std::vector<std::string> result;
  for (std::string w; words >> w;) result.push_back(w);
  return result;
}

std::string Basename(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

// 0 if `candidate` is an executable file, else an errno value saying why not.
int ExecutableProblem(const std::string& candidate) {
  struct stat st;
  if (stat(candidate.c_str(), &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (access(candidate.c_str(), X_OK) != 0) return EACCES;
  return 0;
}

std::string CannotRun(const std::string& path, int problem) {
  return "cannot run " + path + ": " +
         (problem == EACCES ? "not executable (chmod +x it?)" : std::strerror(problem));
}

// The reason (without prefix) that LD_PRELOAD cannot reach `path`, or empty.
std::string Unpreloadable(const std::string& path, int depth) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "cannot inspect " + path + ": " + std::strerror(errno);
  // ld.so(8): in secure-execution mode (AT_SECURE) LD_PRELOAD is ignored
  // except for setuid libraries in standard paths.
  const char* secure = "the dynamic loader ignores LD_PRELOAD in secure-execution mode (ld.so(8))";
  if (st.st_mode & S_ISUID) {
    return path + " is setuid: " + secure + "; run a copy without the setuid bit";
  }
  if (st.st_mode & S_ISGID) {
    return path + " is setgid: " + secure + "; run a copy without the setgid bit";
  }
  if (getxattr(path.c_str(), "security.capability", nullptr, 0) > 0) {
    return path + " has file capabilities (security.capability): " + secure +
           "; run a copy without them (setcap -r)";
  }

  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "cannot inspect " + path + ": " + std::strerror(errno);
  if (std::vector<std::string> words = ShebangWords(fd.get()); !words.empty()) {
    if (depth >= kMaxInterpreterDepth) return path + ": too many nested #! interpreters";
    if (struct stat interp; stat(words[0].c_str(), &interp) != 0 && errno == ENOENT) {
      return "script " + path + " names an interpreter that does not exist: #!" + words[0];
    }
    std::string reason = Unpreloadable(words[0], depth + 1);
    // `#!/usr/bin/env prog` (or env -S): the program that matters is prog.
    if (reason.empty() && Basename(words[0]) == "env") {
      for (std::size_t i = 1; i < words.size(); ++i) {
        if (words[i][0] == '-' || words[i].find('=') != std::string::npos) continue;
        if (auto program = ResolveCommand(words[i])) reason = Unpreloadable(*program, depth + 1);
        break;
      }
    }
    return reason.empty() ? "" : "script " + path + ": " + reason;
  }

  std::optional<ElfFacts> elf = InspectElf(fd.get());
  if (!elf) return "";
  // Go first: Go binaries are often static too, and "static" would send the
  // user to rebuild a program whose timers LD_PRELOAD cannot see anyway.
  if (elf->go) {
    return path +
           " is a Go program: its timers run in the Go runtime, not through libc, so LD_PRELOAD "
           "cannot switch them; bisect it with --godebug NAME=VALUE (e.g. --godebug "
           "asynctimerchan=1)";
  }
  if (!elf->has_interp) {
    const char* kind = elf->position_independent ? "static-pie" : "statically linked";
    return path + " is " + kind +
           ": no dynamic loader runs in it to load LD_PRELOAD; rebuild it dynamically linked";
  }
  return "";
}

}  // namespace

base::Expected<std::string> ResolveCommand(const std::string& argv0, const char* search_path) {
  auto fail = [](std::string error) {
    return base::Expected<std::string>::Fail(kPrefix + std::move(error));
  };
  if (argv0.empty()) return fail("no command to run (give it after --)");
  if (argv0.find('/') != std::string::npos) {
    int problem = ExecutableProblem(argv0);
    if (problem == ENOENT) return fail("command not found: " + argv0 + " (no such file)");
    if (problem != 0) return fail(CannotRun(argv0, problem));
    return argv0;
  }
  // execvp's default when PATH is unset (confstr _CS_PATH).
  if (search_path == nullptr) search_path = std::getenv("PATH");
  std::string path = search_path != nullptr ? search_path : "/bin:/usr/bin";
  std::string first_problem;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    begin = end + 1;
    std::string candidate = (dir.empty() ? "." : dir) + "/" + argv0;  // "" means "." (execvp)
    int problem = ExecutableProblem(candidate);
    if (problem == 0) return candidate;
    // Like execvp: keep looking, but remember a file that is there and unusable.
    if (first_problem.empty() && problem != ENOENT && problem != ENOTDIR) {
      first_problem = CannotRun(candidate, problem);
    }
  }
  if (!first_problem.empty()) return fail(first_problem);
  return fail("command not found: " + argv0 + " (not in PATH)");
}

LinkedInLoops FindLinkedInLoops(const std::vector<std::string>& command, bool shell) {
  LinkedInLoops loops;
  if (shell || command.empty()) return loops;
  auto resolved = ResolveCommand(command[0]);
  if (!resolved) return loops;
  UniqueFd fd(open(resolved->c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return loops;
  loops.libraries = LoopLibrariesLinkedIn(fd.get());
  if (!loops.libraries.empty()) loops.program = *resolved;
  return loops;
}

std::string LinkedInLoopsSentence(const LinkedInLoops& loops) {
  if (loops.libraries.empty()) return "";
  const bool one = loops.libraries.size() == 1;
  return loops.program + " has " + base::ListInProse(loops.libraries) +
         " compiled in (it defines the timer calls itself), and the shim can switch a "
         "library's timers only in its shared library: link " +
         (one ? "it as a shared library (the .so, not the .a) to make its"
              : "them as shared libraries (the .so, not the .a) to make their") +
         " timers sites";
}

base::Expected<void> CheckPreloadable(const std::string& path) {
  std::string reason = Unpreloadable(path, 0);
  if (reason.empty()) return {};
  return base::Expected<void>::Fail(kPrefix + reason);
}

}  // namespace timerbisect::run
