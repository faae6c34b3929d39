#include "run/slurm_launcher.h"

#include <unistd.h>

#include <chrono>
#include <sstream>
#include <utility>

#include "run/probe_reaper.h"
#include "run/remote_command.h"
#include "run/slurm_output.h"

namespace timerbisect::run {
namespace {

std::string JobPrefix() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return "timerbisect-" + std::string(host) + "-" + std::to_string(getpid()) + "-";
}

// Quotes a word for /bin/sh.
std::string Quoted(const std::string& word) {
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// squeue or scancel beside srun (a bare name when srun is one).
std::string Sibling(const std::string& srun, const std::string& name) {
  auto slash = srun.rfind('/');
  return slash == std::string::npos ? name : srun.substr(0, slash + 1) + name;
}

// A shell command that cancels every job whose name starts with `prefix`.
std::string CancelAllCommand(const std::string& srun, const std::string& prefix) {
  return Quoted(Sibling(srun, "squeue")) +
         " --noheader --me --format='%i %j' 2>/dev/null | awk -v p=" + Quoted(prefix) +
         " 'index($2, p) == 1 {print $1}' | xargs -r " + Quoted(Sibling(srun, "scancel")) +
         " 2>/dev/null";
}

ProbeSpec Command(std::vector<std::string> argv) {
  ProbeSpec spec;
  spec.argv = std::move(argv);
  spec.timeout = std::chrono::seconds(30);
  return spec;
}

}  // namespace

SlurmLauncher::SlurmLauncher(Options options)
    : options_(std::move(options)), job_prefix_(JobPrefix()) {
  reaper::SetCleanup(CancelAllCommand(options_.srun, job_prefix_));
  monitor_ = std::thread([this] { Monitor(); });
}

SlurmLauncher::~SlurmLauncher() {
  bool in_flight;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    in_flight = !jobs_.empty();
  }
  stop_.notify_all();
  monitor_.join();
  if (in_flight) CancelAll();
}

Launcher::Handle SlurmLauncher::Start(const ProbeSpec& spec) {
  Job job;
  {
    std::lock_guard lock(mu_);
    job.name = job_prefix_ + std::to_string(next_job_++);
  }
  job.timeout = Backstop(spec.timeout);
  ProbeSpec srun = spec;
  srun.argv = {
      options_.srun, "--ntasks=1", "--quiet", "--kill-on-bad-exit=1", "--job-name=" + job.name,
      "--export=ALL"};
  if (!options_.partition.empty()) srun.argv.push_back("--partition=" + options_.partition);
  if (!options_.time_limit.empty()) srun.argv.push_back("--time=" + options_.time_limit);
  srun.argv.insert(srun.argv.end(), options_.extra.begin(), options_.extra.end());
  std::vector<std::string> command = RemoteCommand(spec);
  srun.argv.insert(srun.argv.end(), command.begin(), command.end());
  srun.shell = false;
  srun.env.clear();  // all of it is in the command: srun itself runs without the shim
  srun.timeout = std::chrono::milliseconds(0);  // counted from the job's start, by Poll
  job.submitted = Clock::now();
  Handle handle = local_.Start(srun);
  {
    std::lock_guard lock(mu_);
    jobs_.emplace(handle, std::move(job));
  }
  stop_.notify_all();  // poll soon
  return handle;
}

ProbeOutput SlurmLauncher::Wait(Handle handle) {
  ProbeOutput out = local_.Wait(handle);
  Job job;
  {
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(handle); it != jobs_.end()) {
      job = std::move(it->second);
      jobs_.erase(it);
    }
    ++done_;
  }
  if (out.started && job.cancelled_for_timeout) {
    out.timed_out = true;
    out.exit_code = -1;
    out.signal = 0;
  }
  InterpretSrunOutput(out);
  if (out.started && !job.lost_reason.empty()) {
    out.lost = true;
    out.timed_out = false;
    out.lost_reason = job.lost_reason;
  }
  return out;
}

void SlurmLauncher::Cancel(const std::string& job_name) {
  RunProbe(local_, Command({Sibling(options_.srun, "scancel"), "--name=" + job_name}));
}

void SlurmLauncher::CancelAll() {
  RunProbe(local_, Command({"/bin/sh", "-c", CancelAllCommand(options_.srun, job_prefix_)}));
}

void SlurmLauncher::Monitor() {
  std::string last_progress;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    stop_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_ || jobs_.empty()) continue;
    lock.unlock();
    Poll(last_progress);
    lock.lock();
  }
}

void SlurmLauncher::Poll(std::string& last_progress) {
  ProbeOutput listing = RunProbe(
      local_, Command({Sibling(options_.srun, "squeue"), "--noheader", "--me", "--format=%j %T"}));
  if (!listing.started || listing.exit_code != 0) return;  // try again next second
  std::map<std::string, std::string> states;               // job name -> state
  std::istringstream lines(listing.output);
  for (std::string name, state; lines >> name >> state;) {
    if (name.starts_with(job_prefix_)) states[name] = state;
  }
  std::vector<std::string> to_cancel;
  int queued = 0, running = 0, done;
  {
    std::lock_guard lock(mu_);
    done = done_;
    Clock::time_point now = Clock::now();
    for (auto& [handle, job] : jobs_) {
      auto it = states.find(job.name);
      if (it == states.end()) continue;  // not submitted yet, or already over
      bool pending = it->second == "PENDING" || it->second == "CONFIGURING";
      (pending ? queued : running) += 1;
      if (job.cancelled_for_timeout || !job.lost_reason.empty()) continue;
      if (!pending && !job.running_since) job.running_since = now;
      if (job.running_since && job.timeout.count() > 0 && now - *job.running_since >= job.timeout) {
        job.cancelled_for_timeout = true;
        to_cancel.push_back(job.name);
      } else if (pending && now - job.submitted >= options_.max_pending) {
        job.lost_reason =
            "the job was still pending after " + std::to_string(options_.max_pending.count()) + "s";
        to_cancel.push_back(job.name);
      }
    }
  }
  for (const std::string& name : to_cancel) Cancel(name);
  if (!options_.progress || queued + running == 0) return;
  std::string line = "slurm: " + std::to_string(queued) + " queued, " + std::to_string(running) +
                     " running, " + std::to_string(done) + " done";
  if (line != last_progress) options_.progress(line);
  last_progress = line;
}

}  // namespace timerbisect::run
