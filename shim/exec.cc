// exec and posix_spawn: nothing changes, but an exec whose environment no
// longer loads the shim with the same settings is reported, one line:
//   timerbisect: shim dropped pid=N exec=PATH missing=LD_PRELOAD changed=TIMERSEM
// (missing: unset; changed: set to another value, or LD_PRELOAD without
// the shim; each list only when not empty; " static=1" instead when the
// environment keeps the shim but PATH is a static program, which no
// loader runs in), and if that exec then fails
// (returns), a second line voids it:
//   timerbisect: exec failed pid=N exec=PATH
// (a program that tries each directory of PATH in turn, as Python's
// subprocess does, drops the shim only at the one that starts)
// (see exec.h). The exec family builds no argument list of its own except
// execl/execlp/execle, which glibc implements with internal calls no
// interposer sees: those three collect their arguments and forward to
// execve/execvp. Everything here runs between vfork and exec too: no
// allocation, raw writes only.
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "exec.h"
#include "interceptor.h"
#include "protocol/shim_lines.h"

extern char** environ;

namespace timerbisect::shim {

TB_REAL(execve)
TB_REAL(execv)
TB_REAL(execvp)
TB_REAL(execvpe)
TB_REAL(fexecve)
TB_REAL_VERSIONED(posix_spawn, v2_15, "GLIBC_2.15")
TB_REAL_VERSIONED(posix_spawn, v2_2_5, "GLIBC_2.2.5")
TB_REAL_VERSIONED(posix_spawnp, v2_15, "GLIBC_2.15")
TB_REAL_VERSIONED(posix_spawnp, v2_2_5, "GLIBC_2.2.5")

namespace {

char g_shim_name[256] = "libtimerbisect.so";

// The value of NAME in `env` ("NAME=value"), or null.
const char* Find(char* const* env, const char* name) {
  if (env == nullptr) return nullptr;
  std::size_t len = std::strlen(name);
  for (; *env != nullptr; ++env) {
    if (std::strncmp(*env, name, len) == 0 && (*env)[len] == '=') return *env + len + 1;
  }
  return nullptr;
}

// Appends "NAME," to `list` (room for every variable checked).
void Add(char* list, const char* name) {
  std::strcat(list, name);
  std::strcat(list, ",");
}

// " missing=A,B" for a non-empty list, else "" (drops the last comma).
const char* Field(char* list, char* out, std::size_t size, const char* key) {
  if (list[0] == '\0') return "";
  list[std::strlen(list) - 1] = '\0';
  std::snprintf(out, size, " %s=%s", key, list);
  return out;
}

// A path is shown up to this many bytes (the kernel takes no longer one),
// the same in both lines, so an "exec failed" line still names its exec.
constexpr int kPathShown = 4096;
// Room for a line: its words, the variable lists and the path.
constexpr std::size_t kLineRoom = kPathShown + 512;

// Writes `line` (`n` from snprintf into `room` bytes) to the report, ending
// it with a newline even when it was cut. Keeps errno.
void WriteLine(char* line, int n, std::size_t room) {
  if (n <= 0) return;
  int saved = errno;
  std::size_t size = std::min<std::size_t>(static_cast<std::size_t>(n), room - 1);
  line[size - 1] = '\n';
  while (syscall(SYS_write, ReportFd(), line, size) < 0 && errno == EINTR) {
  }
  errno = saved;
}

// True when `path` (with a slash: execvp's bare names are not looked up)
// is an ELF program of this machine without a program interpreter: a
// static program, into which LD_PRELOAD loads nothing. Raw system calls
// only, as CheckExec.
bool IsStaticProgram(const char* path) {
  if (path == nullptr || std::strchr(path, '/') == nullptr) return false;
  int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
  if (fd < 0) return false;
  ElfW(Ehdr) header;
  bool is_static =
      syscall(SYS_pread64, fd, &header, sizeof header, 0) == static_cast<long>(sizeof header) &&
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 &&
      header.e_ident[EI_CLASS] == (sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32) &&
      (header.e_type == ET_EXEC || header.e_type == ET_DYN) &&
      header.e_phentsize == sizeof(ElfW(Phdr)) && header.e_phnum > 0;
  for (int i = 0; is_static && i < header.e_phnum; ++i) {
    ElfW(Phdr) segment;
    long offset = static_cast<long>(header.e_phoff + i * sizeof segment);
    if (syscall(SYS_pread64, fd, &segment, sizeof segment, offset) !=
            static_cast<long>(sizeof segment) ||
        segment.p_type == PT_INTERP) {
      is_static = false;
    }
  }
  syscall(SYS_close, fd);
  return is_static;
}

// Reports an exec of `path` with `env` if the shim would not load with the
// same settings in it; true if it did. Keeps errno.
bool CheckExec(const char* path, char* const* env) {
  if (!ShimActive()) return false;
  ShimScope scope;
  const Config& cfg = GetConfig();
  char missing[160] = "", changed[160] = "";
  const char* preload = Find(env, "LD_PRELOAD");
  if (preload == nullptr) {
    Add(missing, "LD_PRELOAD");
  } else if (std::strstr(preload, g_shim_name) == nullptr) {
    Add(changed, "LD_PRELOAD");
  }
  const char* timersem = Find(env, "TIMERSEM");
  if (timersem == nullptr) {
    Add(missing, "TIMERSEM");
  } else if (cfg.timersem != timersem) {
    Add(changed, "TIMERSEM");
  }
  // Settings that change a site's ID or mode, or where its reports go: the
  // child must see the parent's (an empty value counts as unset, as for
  // the parent).
  for (const SettingAtStart& setting : cfg.child_settings) {
    const char* value = Find(env, setting.name);
    if (value != nullptr && *value == '\0') value = nullptr;
    if (value == nullptr && setting.value.empty()) continue;
    if (value == nullptr) {
      Add(missing, setting.name);
    } else if (setting.value != value) {
      Add(changed, setting.name);
    }
  }
  const bool is_static = missing[0] == '\0' && changed[0] == '\0' && IsStaticProgram(path);
  if (missing[0] == '\0' && changed[0] == '\0' && !is_static) return false;
  char missing_field[176], changed_field[176];
  char line[kLineRoom];
  int n = std::snprintf(
      line, sizeof line, TIMERBISECT_SHIM_DROPPED "pid=%d exec=%.*s%s%s%s\n",
      static_cast<int>(syscall(SYS_getpid)), kPathShown, path != nullptr ? path : "?",
      Field(missing, missing_field, sizeof missing_field, "missing"),
      Field(changed, changed_field, sizeof changed_field, "changed"), is_static ? " static=1" : "");
  WriteLine(line, n, sizeof line);
  return true;
}

// After an exec that CheckExec reported (`reported`) returned: it started
// nothing, so the report is void. Keeps errno.
void ExecFailed(bool reported, const char* path) {
  if (!reported) return;
  ShimScope scope;
  char line[kLineRoom];
  int n = std::snprintf(line, sizeof line, TIMERBISECT_EXEC_FAILED "pid=%d exec=%.*s\n",
                        static_cast<int>(syscall(SYS_getpid)), kPathShown,
                        path != nullptr ? path : "?");
  WriteLine(line, n, sizeof line);
}

// posix_spawn's result: 0 if it started the child, else the error; voids
// the report of a spawn that failed.
int SpawnResult(bool reported, const char* path, int rc) {
  if (rc != 0) ExecFailed(reported, path);
  return rc;
}

// execl's argument list is collected on the stack (32 KiB): exec either
// replaces the process or returns soon.
constexpr int kMaxListArgs = 4096;

}  // namespace

void InitExecCheck() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&InitExecCheck), &info) == 0 || info.dli_fname == nullptr) {
    return;
  }
  const char* slash = std::strrchr(info.dli_fname, '/');
  std::snprintf(g_shim_name, sizeof g_shim_name, "%s", slash ? slash + 1 : info.dli_fname);
}

}  // namespace timerbisect::shim

using namespace timerbisect::shim;

TB_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  bool reported = CheckExec(path, envp);
  int rc = real_execve(path, argv, envp);
  ExecFailed(reported, path);
  return rc;
}

TB_EXPORT int execv(const char* path, char* const argv[]) {
  bool reported = CheckExec(path, environ);
  int rc = real_execv(path, argv);
  ExecFailed(reported, path);
  return rc;
}

TB_EXPORT int execvp(const char* file, char* const argv[]) {
  bool reported = CheckExec(file, environ);
  int rc = real_execvp(file, argv);
  ExecFailed(reported, file);
  return rc;
}

TB_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  bool reported = CheckExec(file, envp);
  int rc = real_execvpe(file, argv, envp);
  ExecFailed(reported, file);
  return rc;
}

TB_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  bool reported = CheckExec("(fexecve)", envp);
  int rc = real_fexecve(fd, argv, envp);
  ExecFailed(reported, "(fexecve)");
  return rc;
}

// execl's arguments after `arg`, up to the null that ends them, as an argv;
// false (E2BIG) when there are more than kMaxListArgs.
static bool CollectList(const char* arg, va_list* ap, char** argv) {
  argv[0] = const_cast<char*>(arg);
  for (int n = 1; argv[n - 1] != nullptr; ++n) {
    if (n == kMaxListArgs) {
      errno = E2BIG;
      return false;
    }
    argv[n] = va_arg(*ap, char*);
  }
  return true;
}

TB_EXPORT int execl(const char* path, const char* arg, ...) {
  char* argv[kMaxListArgs];
  va_list ap;
  va_start(ap, arg);
  bool ok = CollectList(arg, &ap, argv);
  va_end(ap);
  return ok ? execv(path, argv) : -1;
}

TB_EXPORT int execlp(const char* file, const char* arg, ...) {
  char* argv[kMaxListArgs];
  va_list ap;
  va_start(ap, arg);
  bool ok = CollectList(arg, &ap, argv);
  va_end(ap);
  return ok ? execvp(file, argv) : -1;
}

TB_EXPORT int execle(const char* path, const char* arg, ...) {
  char* argv[kMaxListArgs];
  va_list ap;
  va_start(ap, arg);
  bool ok = CollectList(arg, &ap, argv);
  char* const* envp = ok ? va_arg(ap, char* const*) : nullptr;
  va_end(ap);
  return ok ? execve(path, argv, envp) : -1;
}

TB_EXPORT int tb_posix_spawn_v2_15(pid_t* pid, const char* path,
                                   const posix_spawn_file_actions_t* actions,
                                   const posix_spawnattr_t* attr, char* const argv[],
                                   char* const envp[]) {
  bool reported = CheckExec(path, envp);
  return SpawnResult(reported, path, real_posix_spawn_v2_15(pid, path, actions, attr, argv, envp));
}
TB_SYMVER(tb_posix_spawn_v2_15, "posix_spawn@@GLIBC_2.15");

TB_EXPORT int tb_posix_spawn_v2_2_5(pid_t* pid, const char* path,
                                    const posix_spawn_file_actions_t* actions,
                                    const posix_spawnattr_t* attr, char* const argv[],
                                    char* const envp[]) {
  bool reported = CheckExec(path, envp);
  return SpawnResult(reported, path, real_posix_spawn_v2_2_5(pid, path, actions, attr, argv, envp));
}
TB_SYMVER(tb_posix_spawn_v2_2_5, "posix_spawn@GLIBC_2.2.5");

TB_EXPORT int tb_posix_spawnp_v2_15(pid_t* pid, const char* file,
                                    const posix_spawn_file_actions_t* actions,
                                    const posix_spawnattr_t* attr, char* const argv[],
                                    char* const envp[]) {
  bool reported = CheckExec(file, envp);
  return SpawnResult(reported, file, real_posix_spawnp_v2_15(pid, file, actions, attr, argv, envp));
}
TB_SYMVER(tb_posix_spawnp_v2_15, "posix_spawnp@@GLIBC_2.15");

TB_EXPORT int tb_posix_spawnp_v2_2_5(pid_t* pid, const char* file,
                                     const posix_spawn_file_actions_t* actions,
                                     const posix_spawnattr_t* attr, char* const argv[],
                                     char* const envp[]) {
  bool reported = CheckExec(file, envp);
  return SpawnResult(reported, file,
                     real_posix_spawnp_v2_2_5(pid, file, actions, attr, argv, envp));
}
TB_SYMVER(tb_posix_spawnp_v2_2_5, "posix_spawnp@GLIBC_2.2.5");
