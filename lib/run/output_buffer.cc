#include "run/output_buffer.h"

#include <algorithm>

namespace timerbisect::run {

OutputBuffer::OutputBuffer(std::size_t limit)
    : head_limit_(limit - limit / 2), tail_limit_(limit / 2) {}

void OutputBuffer::Append(std::string_view bytes) {
  total_ += bytes.size();
  if (head_.size() < head_limit_) {
    std::size_t n = std::min(bytes.size(), head_limit_ - head_.size());
    head_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  if (tail_limit_ == 0) return;
  if (bytes.size() >= tail_limit_) {
    tail_.assign(bytes.substr(bytes.size() - tail_limit_));
    return;
  }
  tail_.append(bytes);
  if (tail_.size() >= 2 * tail_limit_) tail_.erase(0, tail_.size() - tail_limit_);
}

std::string OutputBuffer::Take() {
  if (tail_.size() > tail_limit_) tail_.erase(0, tail_.size() - tail_limit_);
  std::string out = std::move(head_);
  std::uint64_t omitted = total_ - out.size() - tail_.size();
  if (omitted > 0) {
    // On a line of its own, so a reader (or a regex) never sees it glued to
    // the target's last line.
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += "[timerbisect: " + std::to_string(omitted) + " bytes of output omitted]\n";
  }
  out += tail_;
  head_.clear();
  tail_.clear();
  total_ = 0;
  return out;
}

}  // namespace timerbisect::run
