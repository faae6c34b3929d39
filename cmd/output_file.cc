#include "output_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace timerbisect::cmd {

base::Expected<void> CheckOutputPath(const char* flag, const std::string& path) {
  using Result = base::Expected<void>;
  if (path.empty() || path == "-") return {};
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string prefix = std::string("timerbisect: ") + flag + " " + path + ": ";
  fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status)) return Result::Fail(prefix + "is a directory; give a file name");
  if (fs::exists(status)) {
    if (access(path.c_str(), W_OK) != 0) {
      return Result::Fail(prefix + "cannot be written (" + std::strerror(errno) + ")");
    }
    return {};
  }
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    return Result::Fail(prefix + "its directory " + parent.string() + " does not exist");
  }
  if (access(parent.c_str(), W_OK | X_OK) != 0) {
    return Result::Fail(prefix + "cannot create it in " + parent.string() + " (" +
                        std::strerror(errno) + ")");
  }
  return {};
}

bool WriteOutput(const char* flag, const std::string& path, const std::string& text) {
  if (path.empty()) return true;
  if (path == "-") {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout);
  }
  std::ofstream file(path);
  file << text;
  if (file) return true;
  std::cerr << "timerbisect: cannot write " << flag << " " << path << "\n";
  return false;
}

}  // namespace timerbisect::cmd
