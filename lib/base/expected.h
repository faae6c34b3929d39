// How a function that can fail says so, everywhere outside the shim: a
// value, or the error that says what was wrong (by default one line,
// "timerbisect: ..."). The driver's setup steps use a list of lines as the
// error (cmd/expected.h), so that a user sees every mistake at once.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace timerbisect::base {

template <class T, class E = std::string>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  static Expected Fail(E error) { return Expected(std::in_place_index<1>, std::move(error)); }

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(state_); }
  const T& operator*() const { return std::get<0>(state_); }
  T* operator->() { return &std::get<0>(state_); }
  const T* operator->() const { return &std::get<0>(state_); }
  // Only when !ok().
  const E& error() const { return std::get<1>(state_); }

 private:
  template <std::size_t I, class V>
  Expected(std::in_place_index_t<I> index, V&& v) : state_(index, std::forward<V>(v)) {}

  // By index, not type: T and E may be one type (Expected<std::string>).
  std::variant<T, E> state_;
};

// A check with nothing to return: ok, or the error.
template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  static Expected Fail(E error) {
    Expected failed;
    failed.error_ = std::move(error);
    return failed;
  }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  // Only when !ok().
  const E& error() const { return *error_; }

 private:
  std::optional<E> error_;
};

}  // namespace timerbisect::base
