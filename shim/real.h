// The real libc functions behind the interceptors, resolved with
// dlsym(RTLD_NEXT) or, for symbols glibc exports in several versions,
// dlvsym(RTLD_NEXT, name, version) for exactly the version the caller bound
// to (RTLD_NEXT with plain dlsym may find the oldest: glibc bug 14932). When
// another interposer stands between the shim and libc and defines the name
// without a version (libtsan.so, many LD_PRELOAD libraries), which dlvsym
// skips and ld.so does not, the interposer's: what the caller would have
// bound to without the shim.
//
// Every real function is resolved eagerly when the shim initializes (each
// declaration registers itself in the tb_real_symbols linker section), so a
// signal handler's first call to, say, alarm() never runs dlsym, which
// allocates and is not async-signal-safe. A call that comes before
// initialization resolves its one symbol lazily.
//
// Resolution happens under the reentrancy guard, so whatever dlsym calls
// goes straight through. A symbol libc lacks resolves to nullptr; callers
// then fail the call with ENOSYS, never abort.
#pragma once

#include <atomic>
#include <cerrno>

namespace timerbisect::shim {

void* ResolveReal(const char* name, const char* version);

// The type-erased part, what the linker-section registry points at.
class RealSymbol {
 public:
  constexpr RealSymbol(const char* name, const char* version) : name_(name), version_(version) {}

  void* address() {
    void* fn = fn_.load(std::memory_order_acquire);
    if (fn == nullptr) {
      fn = ResolveReal(name_, version_);
      fn_.store(fn, std::memory_order_release);
    }
    return fn;
  }

 private:
  std::atomic<void*> fn_{nullptr};
  const char* name_;
  const char* version_;
};

// Resolves every registered real function (at initialization).
void ResolveAllReal();

template <typename Fn>
class RealFunction : public RealSymbol {
 public:
  constexpr RealFunction(const char* name, const char* version = nullptr)
      : RealSymbol(name, version) {}

  Fn get() { return reinterpret_cast<Fn>(address()); }

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
};

// decltype(&::poll) and friends carry glibc's access/nonnull attributes,
// which do not belong to the type; g++ warns that it drops them.
#pragma GCC diagnostic ignored "-Wignored-attributes"

#define TB_REAL_REGISTER(var)        \
  [[gnu::section("tb_real_symbols"), \
    gnu::used]] static ::timerbisect::shim::RealSymbol* const var##_registration = &var;

// Declares `real_NAME` for a function with one implementation.
#define TB_REAL(name)                                                             \
  inline ::timerbisect::shim::RealFunction<decltype(&::name)> real_##name{#name}; \
  TB_REAL_REGISTER(real_##name)
// Declares `real_NAME_SUFFIX` bound to one exported version.
#define TB_REAL_VERSIONED(name, suffix, version)                                               \
  inline ::timerbisect::shim::RealFunction<decltype(&::name)> real_##name##_##suffix{#name,    \
                                                                                     version}; \
  TB_REAL_REGISTER(real_##name##_##suffix)

// Declares `real_NAME_SUFFIX` of the explicit function type `Fn`: for an old
// ABI whose declaration no header carries any more.
#define TB_REAL_VERSIONED_AS(Fn, name, suffix, version)                                \
  inline ::timerbisect::shim::RealFunction<Fn> real_##name##_##suffix{#name, version}; \
  TB_REAL_REGISTER(real_##name##_##suffix)

}  // namespace timerbisect::shim
