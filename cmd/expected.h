// How the driver's steps fail: a value, or the error lines that say what was
// wrong and what to do. Setup collects every error it finds, so a user fixes
// a command line once, not once per mistake.
#pragma once

#include <iostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace timerbisect::cmd {

using Errors = std::vector<std::string>;  // one line each, "timerbisect: ..."

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}  // NOLINT: implicit, as a return value
  static Expected Fail(Errors errors) { return Expected(std::move(errors)); }
  static Expected Fail(std::string error) { return Expected(Errors{std::move(error)}); }

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<T>(state_); }
  T* operator->() { return &std::get<T>(state_); }
  const Errors& errors() const { return std::get<Errors>(state_); }

 private:
  explicit Expected(Errors errors) : state_(std::move(errors)) {}
  std::variant<T, Errors> state_;
};

// Prints each error on its own line to stderr.
inline void PrintErrors(const Errors& errors) {
  for (const std::string& e : errors) std::cerr << e << "\n";
}

}  // namespace timerbisect::cmd
