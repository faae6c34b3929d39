// CLI11's words for a flag's bad value, in ours: "--count: Value abc not
// in range 1 to 1000" says neither what was wanted nor that "abc" was the
// value given, and "1 required INT:INT in [0 - 1000000] missing" reads as
// an internal message.
#pragma once

#include <string>

namespace timerbisect::cmd {

// `what` is a CLI11 ParseError's what() (one line); returns it reworded
// where it is one of the forms above, else unchanged:
//   "--count: expected a whole number from 1 to 1000, not \"abc\""
//   "--jobs: needs a value" (also when the value taken was "--")
//   "--algorithm: expected one of auto, id, suffix, adaptive, not \"foo\""
std::string PlainParseError(const std::string& what);

}  // namespace timerbisect::cmd
