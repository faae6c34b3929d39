// The small pieces every report formats the same way: counts with their
// noun, lists, shell words, and a symbolized frame as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "symbolize/symbolizer.h"

namespace timerbisect::report {

// "1 site", "3 sites".
std::string Plural(std::uint64_t n, const std::string& word);
std::string Join(const std::vector<std::string>& words, const char* separator);
// Quotes a word for a POSIX shell when it needs it (and when bash would
// expand a '!' in it from its history).
std::string ShellQuote(const std::string& word);
// "NAME=value", the value quoted as ShellQuote does except that a leading
// '#' stays bare: it is not the start of a word there ("X=#x65a").
std::string ShellAssignment(const std::string& name, const std::string& value);
// {"function", "file", "line", "column", "inlined", "module", "offset"}.
nlohmann::json FrameJson(const symbolize::SourceFrame& frame);

// A JSON document as --json writes it: indented, one newline at the end.
// Bytes that are not UTF-8 (a target's output, a path, an argument) become
// U+FFFD instead of making nlohmann's dump throw.
std::string JsonDocument(const nlohmann::json& document);

}  // namespace timerbisect::report
