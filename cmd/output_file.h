// The files the subcommands write (--json, --junit): checked before the
// first probe, so a typo in a path fails in a second instead of after the
// whole search, and "-" for standard output.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"
#include "expected.h"

namespace timerbisect::cmd {

// Whether `path` ("" = not asked, "-" = stdout) can be written; if not, one
// error line naming `flag`.
base::Expected<void> CheckOutputPath(const char* flag, const std::string& path);

// Writes `text` to `path` ("-": stdout), the subcommand's answer already
// printed; false after printing one error line naming `flag`, the reason,
// and that the run exits 2 (its output is incomplete).
bool WriteOutput(const char* flag, const std::string& path, const std::string& text);

// An interrupted run's last words (run/interrupt.h): as WriteOutput, but
// never to standard output ("-"), which may be a pipe already read.
void WriteInterruptedOutput(const char* flag, const std::string& path, const std::string& text);

// A subcommand stopped by a setup error: the report files a CI job
// collects (--junit, --json) still say why. Each is written when it names a
// file (not standard output) that CheckOutputPath accepts and no error is
// about its flag; the others are left alone.
struct ErrorReportFile {
  const char* flag;
  std::string path;
  std::string text;
};
void WriteSetupErrorReports(const Errors& errors, const std::vector<ErrorReportFile>& files);
// The errors as one line for such a report: each without its "timerbisect: ",
// joined by "; ".
std::string SetupErrorMessage(const Errors& errors);

}  // namespace timerbisect::cmd
