#include "sites_command.h"

#include <iostream>
#include <set>

#include "exit_codes.h"
#include "launcher_flags.h"
#include "output_file.h"
#include "protocol/duration.h"
#include "report/format.h"
#include "report/sites_report.h"
#include "run/interrupt.h"
#include "run/preflight.h"
#include "session.h"
#include "shim_locator.h"
#include "site_frames.h"
#include "symbolize/symbolizer.h"

namespace timerbisect::cmd {

CLI::App* AddSitesCommand(CLI::App& app, SitesOptions& o) {
  CLI::App* sites = app.add_subcommand(
      "sites",
      "Run CMD once with native timer semantics and list every timer site it reaches, with "
      "counts, stacks, and the timers it left armed or open at exit");
  sites->footer(
      "Exit codes: 0 listed (no site reached is an answer too: the list says so), 2 usage or "
      "setup error,\n128+N stopped by signal N (Ctrl-C: 130).\n\n" +
      std::string(kShimEnvironmentHelp));
  sites->add_option("command", o.command, "The command, after --")->expected(-1);
  sites->add_flag("--shell", o.shell, "Run the command through /bin/sh -c");
  sites->add_option("--json", o.json_path,
                    "Also write the listing as JSON to this file (-: stdout, the text to stderr)");
  sites->add_option("--scope", o.scope, "re2 regex: only sites with a matching frame count");
  sites->add_option("--depth", o.depth, "Frames per site ID, 1 to 64 (default 16)")
      ->check(CLI::Range(1, 64));
  sites->add_option("--short", o.short_threshold,
                    "Count timers at most this long as short (default " +
                        std::string(protocol::kDefaultShort) + ")");
  sites->add_option("--timeout", o.timeout,
                    "Stop the command after this long (30s, 1.5s, 1m30s, 2h; a bare number is "
                    "seconds; none); its processes then write no counts. Default: 10m");
  sites->add_option(
      "--shim", o.shim_path,
      "libtimerbisect.so to preload (default: $TIMERBISECT_SHIM, else found beside the "
      "timerbisect executable)");
  AddLauncherFlags(*sites, o.launcher, /*one_run=*/true);
  return sites;
}

int RunSites(const SitesOptions& o) {
  // 1. The same setup checks as bisect, before the run.
  SessionOptions options;
  options.command = o.command;
  options.shell = o.shell;
  options.timeout = o.timeout;
  options.scope = o.scope;
  options.depth = o.depth;
  options.short_threshold = o.short_threshold;
  options.shim_path = o.shim_path;
  options.quiet = true;
  run::InterruptGuard interrupt_guard;
  auto made = MakeLauncher(o.launcher, 0);
  if (!made) {
    PrintErrors({made.error()});
    return kExitUsage;
  }
  std::unique_ptr<run::Launcher> launcher = std::move(*made);
  auto session = Session::Open("sites", options, *launcher,
                               {.output_paths = {{"--json", o.json_path}}, .shim_only = true});
  if (!session) {
    PrintErrors(session.error());
    return kExitUsage;
  }
  if (auto checked = CheckLauncher(*launcher, o.launcher, (*session)->target().shim_path());
      !checked) {
    PrintErrors({checked.error()});
    return kExitUsage;
  }
  Target& target = (*session)->target();

  // 2. One run in watch mode: TIMERSEM=watch overrides the "native" that
  // an empty pattern sets (the last value of a variable wins).
  ProbeRecord record = target.Run("", {{"TIMERSEM", "watch"}});
  if (std::string error = (*session)->RunError(); !error.empty()) {
    PrintErrors({error});
    return kExitUsage;
  }

  // 3. The listing, symbolized.
  report::SitesListing listing;
  listing.command = o.command;
  listing.result = record.verdict.kind;
  const auto& io_uring = target.reports().io_uring_pids();
  listing.io_uring_pids.assign(io_uring.begin(), io_uring.end());
  symbolize::Symbolizer symbolizer;
  for (const auto& [id, site] : target.reports().sites()) {
    listing.sites.push_back({&site, SymbolizeSiteFrames(site, symbolizer)});
  }
  report::SortSites(listing.sites);
  report::FindHeaderOnlyLoops(listing);
  listing.duration = (*session)->Elapsed();
  const std::set<std::string> dropped = target.reports().dropped_execs();
  listing.dropped_execs.assign(dropped.begin(), dropped.end());
  run::LinkedInLoops linked_in = run::FindLinkedInLoops(o.command, o.shell);
  listing.linked_in_loops = linked_in.libraries;
  listing.linked_in_note = run::LinkedInLoopsSentence(linked_in);
  std::ostream& text_out = o.json_path == "-" ? std::cerr : std::cout;
  text_out << report::FormatText(listing);
  if (listing.sites.empty() && target.reports().reached_out_of_scope()) {
    text_out << "timerbisect: " << NoSiteInScope(o.scope) << "\n";
  }
  if (!WriteOutput("--json", o.json_path, report::JsonDocument(report::ToJson(listing)))) {
    return kExitUsage;
  }
  return 0;
}

}  // namespace timerbisect::cmd
