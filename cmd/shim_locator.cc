#include "shim_locator.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "protocol/shim_lines.h"
#include "run/scratch.h"

namespace timerbisect::cmd {
namespace fs = std::filesystem;
namespace {

// Whether the file holds the line the shim announces itself with: another
// library given as the shim would load in every run and never answer, and
// the driver would blame the command for it.
bool IsShim(const fs::path& p) {
  return run::ReadWholeFile(p).find(TIMERBISECT_SHIM_ACTIVE) != std::string::npos;
}

// The loader splits LD_PRELOAD at spaces and colons, so a shim whose path
// holds one can never be preloaded: every run would go without it, and the
// driver would end up blaming the command.
base::Expected<std::string> Preloadable(base::Expected<std::string> found) {
  if (!found) return found;
  if (found->find_first_of(" :") != std::string::npos) {
    return base::Expected<std::string>::Fail(
        "timerbisect: the shim's path " + *found +
        " holds a space or a colon, which LD_PRELOAD cannot carry; install timerbisect under a "
        "path without one, or give --shim a copy or link there");
  }
  return found;
}

base::Expected<std::string> Locate(const std::string& explicit_path) {
  using Result = base::Expected<std::string>;
  auto usable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && access(p.c_str(), R_OK) == 0;
  };
  auto checked = [](const std::string& given, const std::string& path) {
    if (IsShim(path)) return Result(fs::absolute(path).string());
    return Result::Fail("timerbisect: " + given +
                        " is not timerbisect's shim (libtimerbisect.so from its build or "
                        "install); give that one, or leave it out to use the one beside "
                        "timerbisect");
  };
  if (!explicit_path.empty()) {
    if (usable(explicit_path)) return checked("--shim " + explicit_path, explicit_path);
    return Result::Fail("timerbisect: --shim " + explicit_path + " is not a readable file");
  }
  if (const char* env = std::getenv("TIMERBISECT_SHIM"); env != nullptr && *env != '\0') {
    if (usable(env)) return checked(std::string("TIMERBISECT_SHIM=") + env, env);
    return Result::Fail(std::string("timerbisect: TIMERBISECT_SHIM=") + env +
                        " is not a readable file");
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = exe.parent_path();
    for (const fs::path& candidate :
         {dir / "../shim/libtimerbisect.so", dir / "../lib/timerbisect/libtimerbisect.so",
          dir / "../lib/libtimerbisect.so", dir / "libtimerbisect.so"}) {
      if (usable(candidate)) return fs::weakly_canonical(candidate).string();
    }
  }
  return Result::Fail(
      "timerbisect: cannot find libtimerbisect.so next to this executable; pass --shim PATH or "
      "set TIMERBISECT_SHIM");
}

}  // namespace

base::Expected<std::string> LocateShim(const std::string& explicit_path) {
  return Preloadable(Locate(explicit_path));
}

}  // namespace timerbisect::cmd
