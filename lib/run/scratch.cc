#include "run/scratch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "run/unique_fd.h"

namespace timerbisect::run {

base::Expected<std::filesystem::path> MakeProbeDir(const std::filesystem::path& root) {
  std::filesystem::path base = root;
  if (base.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  std::string name = (base / "timerbisect-probe-XXXXXX").string();
  if (mkdtemp(name.data()) == nullptr) {
    return base::Expected<std::filesystem::path>::Fail(
        "timerbisect: cannot create a probe directory in " + base.string() + ": " +
        std::strerror(errno) + "; point TMPDIR at a writable directory");
  }
  return std::filesystem::path(name);
}

void RemoveProbeDir(const std::filesystem::path& dir) {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string contents;
  if (!fd.valid()) return contents;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    contents.append(buf, static_cast<std::size_t>(n));
  }
  return contents;
}

}  // namespace timerbisect::run
