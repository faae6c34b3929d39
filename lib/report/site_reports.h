// Reading match reports: the lines a target (the shim, or any program that
// speaks the bisect protocol) writes for each site the pattern reports.
//
// The shim writes, per site and process:
//   [bisect-match 0x...] timerbisect site API mode=MODE
// and in verbose patterns one line per frame:
//   [bisect-match 0x...]   #N MODULE+0xOFFSET [SYMBOL]
// Under TIMERSEM=watch (mode=native in the site line) each process also
// writes at exit its counters per site, and a line per timer it left open:
//   [bisect-match 0x...] timerbisect stats arms=N rearms=N short=N
//   [bisect-match 0x...] timerbisect open timerfd armed=0|1
//   [bisect-match 0x...] timerbisect open posix_timer armed=0|1
// With TIMERSEM_SCOPE, each process that reaches a site outside it also
// writes, once, to a report file:
//   timerbisect: site outside TIMERSEM_SCOPE pid=N api=API
// Other targets write whatever they like beside the marker; those lines are
// kept as text, markers cut out, as Go's bisect shows them.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace timerbisect::report {

struct ReportedFrame {
  std::string module;        // path of the ELF file as loaded
  std::uint64_t offset = 0;  // return address minus the module's load bias
  std::string symbol;        // the function's symbol (mangled), if the shim found one
};

// Watch mode's counters of one site, summed over the processes that wrote
// them (shim/watch.h says what each counts).
struct SiteCounters {
  std::uint64_t arms = 0;
  std::uint64_t rearms = 0;
  std::uint64_t short_timeouts = 0;
};

// Timers of one site still open when their process exited, over all
// processes: the native analogue of Go's unstopped timers.
struct OpenTimers {
  int timerfds = 0;        // timerfds never closed
  int timerfds_armed = 0;  // ... of which still armed
  int posix_timers = 0;    // POSIX timers never deleted
  int posix_timers_armed = 0;

  bool any() const { return timerfds > 0 || posix_timers > 0; }
};

struct SiteReport {
  std::uint64_t id = 0;
  std::string api;    // "timerfd_create"; empty for a target other than the shim
  std::string mode;   // "old", "new" or "native" (watch) as the shim applied it
  bool wait = false;  // "kind=wait": a wait, not a timer object (shim/site.h IsWaitApi)
  // "caller=callback": frames[0] is not a caller but the timer's callback,
  // standing in for a callback that armed the timer in a tail call
  // (shim/lib_loop.h WhoCalled): its own frame is gone.
  bool callback_first = false;
  std::vector<ReportedFrame> frames;  // from a verbose probe, innermost first
  std::vector<std::string> lines;     // other report lines, marker removed, deduplicated
  bool has_counters = false;          // a stats line arrived (watch mode, process exited)
  SiteCounters counters;
  OpenTimers open;
};

class ReportCollector {
 public:
  // Adds every line of `text` (a report file or a probe's output).
  void Add(std::string_view text);

  // IDs seen in the texts added so far.
  std::set<std::uint64_t> Ids() const;
  const std::map<std::uint64_t, SiteReport>& sites() const { return sites_; }
  // True if a shim announced itself ("timerbisect: shim active ...").
  bool shim_announced() const { return shim_announced_; }
  // True if a shim reached a site that TIMERSEM_SCOPE left out ("timerbisect:
  // site outside TIMERSEM_SCOPE pid=N api=API", once a process).
  bool reached_out_of_scope() const { return reached_out_of_scope_; }
  // Execs that dropped the shim ("timerbisect: shim dropped pid=N exec=PATH
  // missing=... changed=..."), as "PATH (missing LD_PRELOAD; changed
  // TIMERSEM)", deduplicated:
  // a wrapper that cleared the environment before the program ran. An exec
  // that then failed ("timerbisect: exec failed pid=N exec=PATH") started
  // nothing and is left out.
  std::set<std::string> dropped_execs() const;
  // Processes that held an io_uring at exit ("timerbisect: io_uring
  // pid=N ..."): their io_uring timeouts are not intercepted.
  const std::set<int>& io_uring_pids() const { return io_uring_pids_; }

 private:
  void AddLine(std::string_view line);

  std::map<std::uint64_t, SiteReport> sites_;
  bool shim_announced_ = false;
  bool reached_out_of_scope_ = false;
  struct DroppedExec {
    std::string pid_and_path;  // "N PATH": what an "exec failed" line names
    std::string text;          // as dropped_execs() gives it
  };
  std::vector<DroppedExec> dropped_execs_;
  std::set<int> io_uring_pids_;
};

}  // namespace timerbisect::report
