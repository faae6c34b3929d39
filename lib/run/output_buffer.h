// Bounded capture of a probe's output: the head and the tail survive, the
// middle of a runaway log does not. A failing test usually says why in its
// first lines (setup) or its last (the assertion and the crash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace timerbisect::run {

class OutputBuffer {
 public:
  // Keeps at most `limit` bytes: the first limit - limit/2 and the last limit/2.
  explicit OutputBuffer(std::size_t limit);

  void Append(std::string_view bytes);
  std::uint64_t total_bytes() const { return total_; }

  // Everything, if it fit; else head, a marker line, tail. Leaves the buffer empty.
  std::string Take();

 private:
  std::size_t head_limit_;
  std::size_t tail_limit_;
  std::uint64_t total_ = 0;
  std::string head_;
  // The last bytes seen; grows to twice tail_limit_ before trimming, so
  // trimming costs O(1) amortized per byte.
  std::string tail_;
};

}  // namespace timerbisect::run
