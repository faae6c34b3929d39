#include "run/remote_command.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "run/lines.h"

namespace timerbisect::run {
namespace {

// Runs where the probe runs (perl: in Debian's essential perl-base and on
// nearly every cluster node; sh cannot tell a child's exit 137 from its
// SIGKILL). Its first argument is the probe's timeout in seconds (0: none).
// Says where it is, gives the probe a fresh report file in $TMPDIR, runs
// it (killing it at the timeout, and saying so with kTimeoutLine), prints
// the report's lines with kReportLinePrefix, removes the file, and exits
// with the probe's exit code; a probe killed by a signal it names in a line
// (kSignalLinePrefix) and exits 128 + N. It never dies of the signal
// itself: srun tears down the step of a task killed by a signal at once,
// and the wrapper's last lines (the report) were lost in about 1 run in 3
// that hung. The
// timeout is kept here, not only by whoever started the wrapper, so that a
// probe that hangs still brings back its report: killed from outside, the
// wrapper would go with it. Only perl-base's modules: no Time::HiRes, so
// the clock is POSIX::times' ticks and the wait a poll with growing naps.
constexpr char kWrapper[] = R"(use POSIX ();
use Fcntl qw(O_WRONLY O_CREAT O_EXCL);
my $limit = shift @ARGV;
# The probe and every process below it, by /proc's parent links: what the
# launcher's kill of a process group did, without killing this wrapper.
sub below {
  my ($top) = @_;
  my %children;
  opendir(my $dir, "/proc") or return ($top);
  for my $p (grep { /^\d+$/ } readdir $dir) {
    open(my $f, "<", "/proc/$p/stat") or next;
    my $stat = <$f>;
    close $f;
    next unless defined $stat && $stat =~ /\) (\S) (\d+) /;
    push @{$children{$2}}, $p unless $1 eq "Z";
  }
  closedir $dir;
  my @all = ($top);
  for (my $i = 0; $i < @all; ++$i) { push @all, @{$children{$all[$i]} || []}; }
  return @all;
}
sub stop_probe {
  my ($top) = @_;
  for (1 .. 5) {
    my @left = below($top);
    kill "KILL", @left;
    last if @left <= 1;
    select(undef, undef, undef, 0.01);
  }
}
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
my ($status, $timed_out) = (255 << 8, 0);
if (defined $pid && $limit > 0) {
  my $tick = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
  my $end = (POSIX::times())[0] + $limit * $tick;
  my $nap = 0.001;
  for (;;) {
    my $done = waitpid($pid, POSIX::WNOHANG());
    if ($done == $pid) { $status = $?; last; }
    last if $done < 0;
    if ((POSIX::times())[0] >= $end) {
      stop_probe($pid);
      $status = $? if waitpid($pid, 0) == $pid;
      $timed_out = 1;
      last;
    }
    select(undef, undef, undef, $nap);
    $nap *= 2 if $nap < 0.05;
  }
} elsif (defined $pid) {
  $status = $? if waitpid($pid, 0) == $pid;
}
if (defined $path) {
  if (open my $in, "<", $path) { print STDERR "timerbisect-report: $_" while <$in>; close $in; }
  unlink $path;
}
if ($timed_out) {
  print STDERR "timerbisect-timeout\n";
  POSIX::_exit(124);
}
if (my $sig = $status & 127) {
  print STDERR "timerbisect-signal: $sig\n";
  POSIX::_exit(128 + $sig);
}
POSIX::_exit($status >> 8);
)";

}  // namespace

std::vector<std::string> RemoteCommand(const ProbeSpec& spec) {
  char limit[32];
  std::snprintf(limit, sizeof limit, "%.3f", static_cast<double>(spec.timeout.count()) / 1000);
  std::vector<std::string> argv = {"perl", "-e", kWrapper, limit, "env"};
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

std::chrono::milliseconds Backstop(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return timeout;
  return timeout + std::max<std::chrono::milliseconds>(std::chrono::seconds(5), timeout / 4);
}

bool IsShimLine(std::string_view line) {
  return line.find("[bisect-match ") != std::string_view::npos || line.starts_with("timerbisect: ");
}

void SeparateWrapperLines(ProbeOutput& out) {
  std::string kept;
  ForEachLine(out.output, [&](std::string_view line) {
    std::string_view bare = line;  // without its '\n'
    if (bare.ends_with('\n')) bare.remove_suffix(1);
    if (bare == kTimeoutLine) {
      out.timed_out = true;
    } else if (bare.starts_with(kSignalLinePrefix)) {
      out.signal = std::atoi(std::string(bare.substr(sizeof kSignalLinePrefix - 1)).c_str());
      out.exit_code = -1;
    } else if (bare.starts_with(kNodeLinePrefix)) {
      if (out.where.empty()) out.where = bare.substr(sizeof kNodeLinePrefix - 1);
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
