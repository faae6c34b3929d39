#include "proc_number.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace timerbisect::shim {

std::optional<std::uint64_t> ProcNumber(const char* path, const char* key) {
  int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
  if (fd < 0) return std::nullopt;
  // Small: a signal handler may run on a small alternate stack. Both keys
  // read here come early (FDSize is /proc/self/status's 11th line).
  char buf[512];
  ssize_t n = syscall(SYS_read, fd, buf, sizeof buf - 1);
  syscall(SYS_close, fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  const char* at = std::strstr(buf, key);
  if (at == nullptr) return std::nullopt;
  at += std::strlen(key);
  while (*at == ' ' || *at == '\t') ++at;
  if (*at < '0' || *at > '9') return std::nullopt;
  std::uint64_t value = 0;
  for (; *at >= '0' && *at <= '9'; ++at) value = value * 10 + static_cast<std::uint64_t>(*at - '0');
  return value;
}

}  // namespace timerbisect::shim
