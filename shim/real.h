// The real libc functions behind the interceptors, resolved lazily with
// dlsym(RTLD_NEXT) or, for symbols glibc exports in several versions,
// dlvsym(RTLD_NEXT, name, version) for exactly the version the caller bound
// to (RTLD_NEXT with plain dlsym may find the oldest: glibc bug 14932).
//
// Resolution happens under the reentrancy guard, so whatever dlsym calls
// goes straight through. A symbol libc lacks resolves to nullptr; callers
// then fail the call with ENOSYS, never abort.
#pragma once

#include <atomic>
#include <cerrno>

namespace timerbisect::shim {

void* ResolveReal(const char* name, const char* version);

template <typename Fn>
class RealFunction {
 public:
  constexpr RealFunction(const char* name, const char* version = nullptr)
      : name_(name), version_(version) {}

  Fn get() {
    Fn fn = fn_.load(std::memory_order_acquire);
    if (fn == nullptr) {
      fn = reinterpret_cast<Fn>(ResolveReal(name_, version_));
      fn_.store(fn, std::memory_order_release);
    }
    return fn;
  }

  // Calls the real function; ENOSYS when libc has none.
  template <typename... Args>
  auto operator()(Args... args) {
    Fn fn = get();
    if (fn == nullptr) {
      errno = ENOSYS;
      return decltype(fn(args...))(-1);
    }
    return fn(args...);
  }

 private:
  std::atomic<Fn> fn_{nullptr};
  const char* name_;
  const char* version_;
};

// decltype(&::poll) and friends carry glibc's access/nonnull attributes,
// which do not belong to the type; g++ warns that it drops them.
#pragma GCC diagnostic ignored "-Wignored-attributes"

// Declares `real_NAME` for a function with one implementation.
#define TB_REAL(name) \
  inline ::timerbisect::shim::RealFunction<decltype(&::name)> real_##name{#name};
// Declares `real_NAME_SUFFIX` bound to one exported version.
#define TB_REAL_VERSIONED(name, suffix, version)                                            \
  inline ::timerbisect::shim::RealFunction<decltype(&::name)> real_##name##_##suffix{#name, \
                                                                                     version};

}  // namespace timerbisect::shim
