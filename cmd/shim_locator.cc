#include "shim_locator.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace timerbisect::cmd {
namespace fs = std::filesystem;

std::string LocateShim(const std::string& explicit_path, std::string& error) {
  auto usable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && access(p.c_str(), R_OK) == 0;
  };
  if (!explicit_path.empty()) {
    if (usable(explicit_path)) return fs::absolute(explicit_path).string();
    error = "timerbisect: --shim " + explicit_path + " is not a readable file";
    return "";
  }
  if (const char* env = std::getenv("TIMERBISECT_SHIM"); env != nullptr && *env != '\0') {
    if (usable(env)) return fs::absolute(env).string();
    error = std::string("timerbisect: TIMERBISECT_SHIM=") + env + " is not a readable file";
    return "";
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
  error =
      "timerbisect: cannot find libtimerbisect.so next to this executable; pass --shim PATH or "
      "set TIMERBISECT_SHIM";
  return "";
}

}  // namespace timerbisect::cmd
