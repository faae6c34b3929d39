// Whether a pointer the program handed to a timer call can point at its
// memory at all. The shim reads a call's timer value before the call; a
// pointer that cannot (null, a small integer, an address in the kernel's
// half, as tests of EFAULT handling pass) is handed to the real call
// untouched, so the program gets what it gets without the shim (EFAULT, or
// glibc's own crash). A pointer into memory the program unmapped passes
// this check and still faults in the shim: telling it apart costs a system
// call on every call (README, "Bad pointers").
#pragma once

#include <cstddef>
#include <cstdint>

namespace timerbisect::shim {

// Nothing is mapped in the first page (mmap_min_addr is at least that).
inline constexpr std::uintptr_t kFirstUserAddress = 4096;
// The end of the user half: 47 bits on x86-64, 48 on AArch64 (a mapping
// above it exists only where a program asked for one; a pointer there is
// then passed through as if bad, which costs the call its site, nothing
// more). Elsewhere only the first page is ruled out.
#if defined(__x86_64__)
inline constexpr std::uintptr_t kUserAddressEnd = std::uintptr_t{1} << 47;
#elif defined(__aarch64__)
inline constexpr std::uintptr_t kUserAddressEnd = std::uintptr_t{1} << 48;
#else
inline constexpr std::uintptr_t kUserAddressEnd = UINTPTR_MAX;
#endif

inline bool MayBeUserMemory(const void* p, std::size_t size) {
  auto address = reinterpret_cast<std::uintptr_t>(p);
  return address >= kFirstUserAddress && address < kUserAddressEnd &&
         size <= kUserAddressEnd - address;
}

template <typename T>
inline bool MayBeUserMemory(const T* p) {
  return MayBeUserMemory(p, sizeof(T));
}

}  // namespace timerbisect::shim
