// Each probe's private directory: its report file lives there, so parallel
// probes never share one, and removing the directory cleans up after it.
#pragma once

#include <filesystem>
#include <string>

#include "base/expected.h"

namespace timerbisect::run {

// The report file's name inside a probe's directory (TIMERSEM_REPORT).
inline constexpr char kReportFileName[] = "report";

// Makes a fresh directory under `root` (empty: $TMPDIR, or /tmp) and
// returns its path; fails with an error line.
base::Expected<std::filesystem::path> MakeProbeDir(const std::filesystem::path& root);

// Removes it and everything in it; best effort.
void RemoveProbeDir(const std::filesystem::path& dir);

// The whole file, or empty if it does not exist.
std::string ReadWholeFile(const std::filesystem::path& path);

}  // namespace timerbisect::run
