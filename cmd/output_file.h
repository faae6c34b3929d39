// The files the subcommands write (--json, --junit): checked before the
// first probe, so a typo in a path fails in a second instead of after the
// whole search, and "-" for standard output.
#pragma once

#include <string>

namespace timerbisect::cmd {

// "" if `path` ("" = not asked, "-" = stdout) can be written, else one error
// line naming `flag`.
std::string CheckOutputPath(const char* flag, const std::string& path);

// Writes `text` to `path` ("-": stdout); false after printing one error
// line naming `flag`.
bool WriteOutput(const char* flag, const std::string& path, const std::string& text);

}  // namespace timerbisect::cmd
