#include "run/remote_command.h"

#include <map>

#include "run/lines.h"

namespace timerbisect::run {
namespace {

// Runs where the probe runs (perl: in Debian's essential perl-base and on
// nearly every cluster node; sh cannot tell a child's exit 137 from its
// SIGKILL). Says where it is, gives the probe a fresh report file in
// $TMPDIR, runs it, prints the report's lines with kReportLinePrefix,
// removes the file, and ends exactly as the probe did: the same exit code,
// or the same signal.
constexpr char kWrapper[] = R"(use POSIX ();
use Fcntl qw(O_WRONLY O_CREAT O_EXCL);
print STDERR "timerbisect-node: ", ($ENV{SLURMD_NODENAME} || (POSIX::uname())[1]), "\n";
my $dir = $ENV{TMPDIR} || "/tmp";
my ($path, $fh);
for (1 .. 100) {
  $path = "$dir/timerbisect-report-$$-" . int(rand(1e9));
  last if sysopen($fh, $path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  undef $path;
}
if (defined $path) { close $fh; $ENV{TIMERSEM_REPORT} = $path; }
my $pid = fork;
if (defined $pid && $pid == 0) { exec { $ARGV[0] } @ARGV or POSIX::_exit(127); }
my $status = defined $pid && waitpid($pid, 0) == $pid ? $? : 255 << 8;
if (defined $path) {
  if (open my $in, "<", $path) { print STDERR "timerbisect-report: $_" while <$in>; close $in; }
  unlink $path;
}
if (my $sig = $status & 127) {
  $SIG{$_} = "DEFAULT" for keys %SIG;
  kill $sig, $$;
  sleep 1;
  POSIX::_exit(128 + $sig);
}
POSIX::_exit($status >> 8);
)";

}  // namespace

std::vector<std::string> RemoteCommand(const ProbeSpec& spec) {
  std::vector<std::string> argv = {"perl", "-e", kWrapper, "env"};
  std::map<std::string, std::size_t> position;  // name -> index in argv
  for (const auto& [name, value] : spec.env) {
    auto [it, fresh] = position.emplace(name, argv.size());
    if (fresh) {
      argv.push_back(name + "=" + value);
    } else {
      argv[it->second] = name + "=" + value;
    }
  }
  if (spec.shell) {
    std::string script;
    for (const std::string& word : spec.argv) script += (script.empty() ? "" : " ") + word;
    argv.insert(argv.end(), {"/bin/sh", "-c", script});
  } else {
    argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  }
  return argv;
}

bool IsShimLine(std::string_view line) {
  return line.find("[bisect-match ") != std::string_view::npos || line.starts_with("timerbisect: ");
}

void SeparateWrapperLines(ProbeOutput& out) {
  std::string kept;
  ForEachLine(out.output, [&](std::string_view line) {
    if (line.starts_with(kNodeLinePrefix)) {
      std::string_view node = line.substr(sizeof kNodeLinePrefix - 1);
      if (node.ends_with('\n')) node.remove_suffix(1);
      if (out.where.empty()) out.where = node;
    } else if (line.starts_with(kReportLinePrefix)) {
      out.report.append(line.substr(sizeof kReportLinePrefix - 1));
      if (line.back() != '\n') out.report += '\n';
    } else if (IsShimLine(line)) {
      out.report.append(line);
      if (line.back() != '\n') out.report += '\n';
    } else {
      kept.append(line);
    }
  });
  out.output = std::move(kept);
}

}  // namespace timerbisect::run
