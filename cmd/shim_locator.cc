#include "shim_locator.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace timerbisect::cmd {
namespace fs = std::filesystem;

base::Expected<std::string> LocateShim(const std::string& explicit_path) {
  using Result = base::Expected<std::string>;
  auto usable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && access(p.c_str(), R_OK) == 0;
  };
  if (!explicit_path.empty()) {
    if (usable(explicit_path)) return fs::absolute(explicit_path).string();
    return Result::Fail("timerbisect: --shim " + explicit_path + " is not a readable file");
  }
  if (const char* env = std::getenv("TIMERBISECT_SHIM"); env != nullptr && *env != '\0') {
    if (usable(env)) return fs::absolute(env).string();
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

}  // namespace timerbisect::cmd
