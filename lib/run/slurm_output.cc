#include "run/slurm_output.h"

#include <string.h>

#include <string_view>
#include <vector>

#include "run/lines.h"
#include "run/remote_command.h"

namespace timerbisect::run {
namespace {

bool Contains(const std::vector<std::string>& lines, std::string_view text) {
  for (const std::string& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

// The line worth quoting when a run is lost: srun's first error.
std::string FirstError(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    if (line.find("error") != std::string::npos) return line;
  }
  return lines.empty() ? "" : lines.front();
}

}  // namespace

void InterpretSrunOutput(ProbeOutput& out) {
  std::vector<std::string> slurm_lines;
  std::string kept;
  ForEachLine(out.output, [&](std::string_view line) {
    std::string_view text = line.ends_with('\n') ? line.substr(0, line.size() - 1) : line;
    // slurmstepd's lines start "slurmstepd-NODE: " or "slurmstepd: ".
    if (text.starts_with("srun: ") || text.starts_with("slurmstepd")) {
      slurm_lines.emplace_back(text);
    } else {
      kept.append(line);
    }
  });
  out.output = std::move(kept);
  SeparateWrapperLines(out);
  if (!out.started) return;

  const bool ran = !out.where.empty();
  if (out.timed_out) {
    if (!ran) {
      out.lost = true;
      out.lost_reason = "the job was still queued when --timeout expired";
    }
    return;
  }
  if (Contains(slurm_lines, "DUE TO TIME LIMIT")) {
    out.timed_out = true;
    return;
  }
  if (!ran || Contains(slurm_lines, "CANCELLED") || Contains(slurm_lines, "Node failure") ||
      Contains(slurm_lines, "NODE_FAIL") || Contains(slurm_lines, "has been revoked")) {
    out.lost = true;
    std::string error = FirstError(slurm_lines);
    out.lost_reason =
        !error.empty() ? error
        : ran          ? "the job ended without a word from srun"
                       : "the job never started (srun exit " + std::to_string(out.exit_code) + ")";
    return;
  }
  if (out.exit_code > 128 && out.exit_code < 128 + 65) {
    int signo = out.exit_code - 128;
    std::string said = std::string("task 0: ") + strsignal(signo);
    if (Contains(slurm_lines, said)) {
      out.signal = signo;
      out.exit_code = -1;
    }
  }
}

}  // namespace timerbisect::run
