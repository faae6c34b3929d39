// How the driver's steps fail: a value, or the error lines that say what was
// wrong and what to do. Setup collects every error it finds, so a user fixes
// a command line once, not once per mistake.
#pragma once

#include <iostream>
#include <string>
#include <vector>

#include "base/expected.h"

namespace timerbisect::cmd {

using Errors = std::vector<std::string>;  // one line each, "timerbisect: ..."

template <class T>
using Expected = base::Expected<T, Errors>;

// Prints each error on its own line to stderr.
inline void PrintErrors(const Errors& errors) {
  for (const std::string& e : errors) std::cerr << e << "\n";
}

}  // namespace timerbisect::cmd
