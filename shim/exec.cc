// exec and posix_spawn: nothing changes, but an exec whose environment no
// longer loads the shim with the same settings is reported, one line:
//   timerbisect: shim dropped pid=N exec=PATH missing=LD_PRELOAD changed=TIMERSEM
// (missing: unset; changed: set to another value, or LD_PRELOAD without
// the shim; each list only when not empty)
// (see exec.h). The exec family builds no argument list of its own except
// execl/execlp/execle, which glibc implements with internal calls no
// interposer sees: those three collect their arguments and forward to
// execve/execvp. Everything here runs between vfork and exec too: no
// allocation, raw writes only.
#include <dlfcn.h>
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

// Reports an exec of `path` with `env` if the shim would not load with the
// same settings in it. Keeps errno.
void CheckExec(const char* path, char* const* env) {
  if (!ShimActive()) return;
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
  if (missing[0] != '\0' || changed[0] != '\0') {
    char missing_field[176], changed_field[176];
    char line[768];
    int n = std::snprintf(line, sizeof line, TIMERBISECT_SHIM_DROPPED "pid=%d exec=%s%s%s\n",
                          static_cast<int>(syscall(SYS_getpid)), path != nullptr ? path : "?",
                          Field(missing, missing_field, sizeof missing_field, "missing"),
                          Field(changed, changed_field, sizeof changed_field, "changed"));
    if (n > 0) {
      std::size_t size = std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1);
      while (syscall(SYS_write, ReportFd(), line, size) < 0 && errno == EINTR) {
      }
    }
  }
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
  CheckExec(path, envp);
  return real_execve(path, argv, envp);
}

TB_EXPORT int execv(const char* path, char* const argv[]) {
  CheckExec(path, environ);
  return real_execv(path, argv);
}

TB_EXPORT int execvp(const char* file, char* const argv[]) {
  CheckExec(file, environ);
  return real_execvp(file, argv);
}

TB_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  CheckExec(file, envp);
  return real_execvpe(file, argv, envp);
}

TB_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  CheckExec("(fexecve)", envp);
  return real_fexecve(fd, argv, envp);
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
  CheckExec(path, envp);
  return real_posix_spawn_v2_15(pid, path, actions, attr, argv, envp);
}
TB_SYMVER(tb_posix_spawn_v2_15, "posix_spawn@@GLIBC_2.15");

TB_EXPORT int tb_posix_spawn_v2_2_5(pid_t* pid, const char* path,
                                    const posix_spawn_file_actions_t* actions,
                                    const posix_spawnattr_t* attr, char* const argv[],
                                    char* const envp[]) {
  CheckExec(path, envp);
  return real_posix_spawn_v2_2_5(pid, path, actions, attr, argv, envp);
}
TB_SYMVER(tb_posix_spawn_v2_2_5, "posix_spawn@GLIBC_2.2.5");

TB_EXPORT int tb_posix_spawnp_v2_15(pid_t* pid, const char* file,
                                    const posix_spawn_file_actions_t* actions,
                                    const posix_spawnattr_t* attr, char* const argv[],
                                    char* const envp[]) {
  CheckExec(file, envp);
  return real_posix_spawnp_v2_15(pid, file, actions, attr, argv, envp);
}
TB_SYMVER(tb_posix_spawnp_v2_15, "posix_spawnp@@GLIBC_2.15");

TB_EXPORT int tb_posix_spawnp_v2_2_5(pid_t* pid, const char* file,
                                     const posix_spawn_file_actions_t* actions,
                                     const posix_spawnattr_t* attr, char* const argv[],
                                     char* const envp[]) {
  CheckExec(file, envp);
  return real_posix_spawnp_v2_2_5(pid, file, actions, attr, argv, envp);
}
TB_SYMVER(tb_posix_spawnp_v2_2_5, "posix_spawnp@GLIBC_2.2.5");
