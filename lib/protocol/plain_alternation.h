// A TIMERSEM_SCOPE regex that is only names joined by '|'
// ("flaky_timer_test", "libfoo.so|MyTimer"), matched the way re2's
// PartialMatch would, but with no allocation and no lock: the shim decides
// a site's scope on its first call, which may be in a signal handler that
// interrupted malloc, where re2 (which allocates DFA states) can deadlock.
// Any other syntax is left to re2.
//
// In a plain alternation: letters, digits and _ - / : ~ , = @ % and space
// stand for themselves; '.' is any character but a newline (one UTF-8 code
// point, as in re2); a backslash before punctuation makes it literal ("\.").
// Header-only, so the shim and the tests share it.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace timerbisect::protocol {

class PlainAlternation {
 public:
  // False (and matches nothing) when `regex` is not a plain alternation or
  // is longer than the buffer.
  bool Parse(std::string_view regex) {
    size_ = 0;
    for (std::size_t i = 0; i < regex.size(); ++i) {
      char c = regex[i];
      char token;
      if (c == '\\') {
        if (i + 1 == regex.size() || !IsPunct(regex[i + 1])) return Reset();
        token = regex[++i];
        if (!Put(kLiteral) || !Put(token)) return Reset();
        continue;
      }
      if (c == '.') {
        token = kAny;
      } else if (c == '|') {
        token = kBar;
      } else if (IsPlain(c)) {
        token = c;
      } else {
        return Reset();
      }
      if (!Put(token)) return Reset();
    }
    valid_ = true;
    return true;
  }

  bool valid() const { return valid_; }

  // re2::RE2::PartialMatch(text, regex) for the regex parsed.
  bool PartialMatch(std::string_view text) const {
    if (!valid_) return false;
    std::size_t begin = 0;
    for (std::size_t i = 0; i <= size_; ++i) {
      if (i < size_ && buf_[i] == kLiteral) {
        ++i;  // the escaped character is never a bar
        continue;
      }
      if (i == size_ || buf_[i] == kBar) {
        if (AlternativeOccurs(begin, i, text)) return true;
        begin = i + 1;
      }
    }
    return false;
  }

 private:
  // Tokens: a plain character stands for itself; these are out of its range.
  static constexpr char kAny = '\x01';
  static constexpr char kBar = '\x02';
  static constexpr char kLiteral = '\x03';  // the next byte is literal

  static bool IsPlain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '/' || c == ':' || c == '~' || c == ',' || c == '=' || c == '@' ||
           c == '%' || c == ' ';
  }
  static bool IsPunct(char c) {
    return (c > ' ' && c < '0') || (c > '9' && c < 'A') || (c > 'Z' && c < 'a') ||
           (c > 'z' && c < 0x7f);
  }
  static bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

  bool Put(char token) {
    if (size_ == buf_.size()) return false;
    buf_[size_++] = token;
    return true;
  }
  bool Reset() {
    size_ = 0;
    valid_ = false;
    return false;
  }

  // Whether tokens [from, to) match `text` at `at`.
  bool MatchesAt(std::size_t from, std::size_t to, std::string_view text, std::size_t at) const {
    for (std::size_t i = from; i < to; ++i) {
      if (at == text.size()) return false;
      char token = buf_[i];
      if (token == kAny) {
        if (text[at] == '\n') return false;
        ++at;
        while (at < text.size() && IsContinuation(text[at])) ++at;
        continue;
      }
      if (token == kLiteral) token = buf_[++i];
      if (text[at] != token) return false;
      ++at;
    }
    return true;
  }

  bool AlternativeOccurs(std::size_t from, std::size_t to, std::string_view text) const {
    for (std::size_t at = 0; at <= text.size(); ++at) {
      if (at < text.size() && IsContinuation(text[at])) continue;  // inside a code point
      if (MatchesAt(from, to, text, at)) return true;
    }
    return false;
  }

  std::array<char, 512> buf_{};
  std::size_t size_ = 0;
  bool valid_ = false;
};

}  // namespace timerbisect::protocol
