// The per-thread reentrancy guard. Anything the shim itself calls (dlsym,
// the unwinder, re2, our own helpers) may reach an intercepted function; while
// the guard is held those calls go straight to libc. Initial-exec TLS: no
// allocation and no lock on first access, unlike the global-dynamic model
// (__tls_get_addr may call malloc).
#pragma once

#include <cerrno>

namespace timerbisect::shim {

extern thread_local bool t_in_shim __attribute__((tls_model("initial-exec")));

class ReentrancyGuard {
 public:
  ReentrancyGuard() : was_held_(t_in_shim) { t_in_shim = true; }
  ~ReentrancyGuard() { t_in_shim = was_held_; }
  ReentrancyGuard(const ReentrancyGuard&) = delete;
  ReentrancyGuard& operator=(const ReentrancyGuard&) = delete;

 private:
  bool was_held_;
};

// The shim's work inside an interceptor: holds the reentrancy guard and, on
// leaving, gives the caller back the errno it had on entry, whatever the
// shim's own calls did to it. An interceptor reads: inert check, a ShimScope
// block that decides, then the real call outside it (its errno is the one
// the caller sees).
class ShimScope {
 public:
  ShimScope() : saved_errno_(errno) {}
  ~ShimScope() { errno = saved_errno_; }
  ShimScope(const ShimScope&) = delete;
  ShimScope& operator=(const ShimScope&) = delete;

 private:
  int saved_errno_;  // first: saved before the guard is taken
  ReentrancyGuard guard_;
};

}  // namespace timerbisect::shim
