// FNV-1a 64, byte for byte the hash of the bisect protocol's reference
// implementation (golang.org/x/tools/internal/bisect.Hash): strings hash
// their bytes, integers their little-endian bytes (8 for 64-bit values, 4 for
// 32-bit ones), and several arguments hash in sequence.
//
// Go's `int` is 64 bits wide; C++'s is 32. Hash(std::int64_t{42}) equals Go's
// Hash(42); Hash(42) here hashes four bytes, like Go's Hash(int32(42)).
//
// Shim-safe: constexpr, no allocation, no exceptions.
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

namespace timerbisect::protocol {

inline constexpr std::uint64_t kFnvOffset64 = 14695981039346656037ull;
inline constexpr std::uint64_t kFnvPrime64 = 1099511628211ull;

class Fnv1a64 {
 public:
  constexpr Fnv1a64& AddByte(std::uint8_t byte) {
    state_ = (state_ ^ byte) * kFnvPrime64;
    return *this;
  }
  constexpr Fnv1a64& AddBytes(std::string_view bytes) {
    for (char c : bytes) AddByte(static_cast<std::uint8_t>(c));
    return *this;
  }
  constexpr Fnv1a64& AddU64(std::uint64_t value) { return AddLittleEndian(value, 8); }
  constexpr Fnv1a64& AddU32(std::uint32_t value) { return AddLittleEndian(value, 4); }

  constexpr std::uint64_t value() const { return state_; }

 private:
  constexpr Fnv1a64& AddLittleEndian(std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i, value >>= 8) AddByte(static_cast<std::uint8_t>(value & 0xff));
    return *this;
  }

  std::uint64_t state_ = kFnvOffset64;
};

namespace hash_detail {
constexpr void Add(Fnv1a64& h, std::string_view s) {
  h.AddBytes(s);
}
constexpr void Add(Fnv1a64& h, const char* s) {
  h.AddBytes(s);
}
template <std::integral T>
constexpr void Add(Fnv1a64& h, T v) {
  if constexpr (sizeof(T) == 1) {
    h.AddByte(static_cast<std::uint8_t>(v));
  } else if constexpr (sizeof(T) <= 4) {
    h.AddU32(static_cast<std::uint32_t>(v));
  } else {
    h.AddU64(static_cast<std::uint64_t>(v));
  }
}
}  // namespace hash_detail

// Hash of the arguments in sequence, as Go's bisect.Hash(args...).
template <typename... Args>
constexpr std::uint64_t Hash(const Args&... args) {
  Fnv1a64 h;
  (hash_detail::Add(h, args), ...);
  return h.value();
}

}  // namespace timerbisect::protocol
