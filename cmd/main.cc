// timerbisect: finds the timer call sites a program's behaviour depends on.
// main reads as the list of passes: register the subcommands, parse the
// command line, run the chosen one, exit with its code (0 found, 1 not
// timer-sensitive, 2 usage or setup error, 3 inconclusive).
//
// `bisect` is the default: `timerbisect [flags] -- CMD` bisects.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/words.h"
#include "bisect_command.h"
#include "env_command.h"
#include "exit_codes.h"
#include "flag_value_names.h"
#include "parse_error_words.h"
#include "preload.h"
#include "report/bisect_report.h"
#include "shim_locator.h"
#include "sites_command.h"
#include "triage_command.h"

namespace {

constexpr std::string_view kSubcommands[] = {"bisect", "triage", "sites", "env"};

// The root's usage lines say that bisect is the default; CLI11's own would
// read "[OPTIONS] [command...] [SUBCOMMAND]". Spelled "Usage:" and "  or:"
// as help2man reads a SYNOPSIS (timerbisect.1).
class Formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (app->get_parent() != nullptr) return CLI::Formatter::make_usage(app, std::move(name));
    return "\nUsage: timerbisect [bisect] [flags] -- CMD ARGS...\n"
           "  or:  timerbisect {triage|sites|env} [flags] ...\n"
           "Each subcommand has its own --help.\n";
  }
};

// Levenshtein distance, for "did you mean".
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// `timerbisect triag -- prog` would otherwise bisect a program named
// "triag": a first word close to a subcommand, and no path, is a typo.
std::string_view CloseSubcommand(std::string_view word) {
  if (word.empty() || word[0] == '-' || word.find('/') != std::string_view::npos) return {};
  for (std::string_view sub : kSubcommands) {
    if (word != sub && Distance(word, sub) <= 2) return sub;
  }
  return {};
}

// The first flag in argv (before "--") that `app` does not know, with
// which other command knows it: CLI11 only says "The following arguments
// were not expected: -- --bogus". Empty when every flag is known.
std::string UnknownFlag(const CLI::App& root, const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--") break;
    if (word.size() < 2 || word[0] != '-' || std::isdigit(static_cast<unsigned char>(word[1]))) {
      continue;  // a value, or a negative number
    }
    std::string name(word.substr(0, word.find('=')));
    if (app.get_option_no_throw(name) != nullptr || name == "-h" || name == "--help") continue;
    std::vector<std::string> owners;
    for (const CLI::App* sub : root.get_subcommands({})) {
      if (sub != &app && sub->get_option_no_throw(name) != nullptr) {
        owners.push_back("`timerbisect " + sub->get_name() + "`");
      }
    }
    std::string line = "unknown flag " + name;
    if (!owners.empty()) line += ": it is a flag of " + timerbisect::base::ListInProse(owners);
    return line;
  }
  return "";
}

// Whether `word`, a flag of `app`, takes the next word as its value
// (`--json FILE`, not `--json=FILE` nor `-q`).
bool TakesNextWord(const CLI::App& app, std::string_view word) {
  const CLI::Option* opt = app.get_option_no_throw(std::string(word.substr(0, word.find('='))));
  return opt != nullptr && opt->get_expected_max() > 0 && word.find('=') == word.npos;
}

// The words after subcommand `app` (argv[1]) that are neither its flags
// nor their values, as given: CLI11 lists them in reverse.
std::string ExtraWords(const CLI::App& app, int argc, char** argv) {
  std::string words;
  for (int i = 2; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.size() > 1 && word[0] == '-') {
      if (TakesNextWord(app, word)) ++i;
      continue;
    }
    words += (words.empty() ? "" : " ") + std::string(word);
  }
  return words;
}

// Go bisect's form without `--` (`timerbisect GODEBUG=...PATTERN go test
// -v`): everything from the first word that is neither a flag of the
// driver nor a flag's value on is the command, as Go's flag package reads
// it. CLI11 went on taking the driver's flags after it (-v, -j 2), and the
// command ran without them. Returns argv with "--" put before that word
// (unchanged when it has one, or for `env`, which runs nothing).
std::vector<std::string> CommandAfterDashes(const CLI::App& root, int argc, char** argv) {
  std::vector<std::string> words(argv, argv + argc);
  const CLI::App* app = &root;
  int i = 1;
  if (argc > 1) {
    for (const CLI::App* sub : root.get_subcommands({})) {
      if (sub->get_name() == argv[1]) app = sub, i = 2;
    }
  }
  if (app->get_name() == "env") return words;
  for (; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--") return words;
    if (word.size() > 1 && word[0] == '-') {
      if (TakesNextWord(*app, word)) ++i;
      continue;
    }
    words.insert(words.begin() + i, "--");
    return words;
  }
  return words;
}

constexpr const char* kEmptyValue =
    ": an empty value; give one (see --help), or leave the flag out";

// A flag given an empty value (--timeout '', --fail-on ''): taken as it
// stands it would mean the default, or match everything, without a word.
std::string EmptyValue(const CLI::App& app) {
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional() || opt->get_expected_max() == 0) continue;
    for (const std::string& value : opt->results()) {
      if (value.empty()) {
        return opt->get_name() + kEmptyValue;
      }
    }
  }
  return "";
}

// `--json=` (an empty value after "="): CLI11 takes the next word as the
// value instead (--json= -- cmd writes a file named "--"). The flag of
// `root` or of a subcommand, or "".
std::string EmptyAssignment(const CLI::App& root, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--") break;
    if (word.size() < 4 || word.substr(0, 2) != "--" || word.find('=') != word.size() - 1) {
      continue;
    }
    std::string name(word.substr(0, word.size() - 1));
    bool known = root.get_option_no_throw(name) != nullptr;
    for (const CLI::App* sub : root.get_subcommands({})) {
      known |= sub->get_option_no_throw(name) != nullptr;
    }
    if (known) return name;
  }
  return "";
}

// `eval "$(timerbisect env ...)"` leaves the shell's LD_PRELOAD naming the
// shim, which loads it into timerbisect too: its own waits would follow
// TIMERSEM, and its shim would call each run it starts a dropped shim. So
// it starts again without it (the runs get it as always). Returns only if
// that exec fails, under the shim as before.
void RestartWithoutShim(char** argv) {
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload == nullptr || !timerbisect::cmd::PreloadNamesShim(preload)) return;
  std::string rest = timerbisect::cmd::PreloadWithoutShim(preload);
  if (rest.empty()) {
    unsetenv("LD_PRELOAD");
  } else {
    setenv("LD_PRELOAD", rest.c_str(), 1);
  }
  std::cerr << "timerbisect: this shell's LD_PRELOAD loads the shim into every program it starts; "
               "timerbisect runs without it (its runs get it as always); `unset LD_PRELOAD "
               "TIMERSEM` ends it for the shell\n";
  // The system call itself: the shim's execve would report the shim dropped.
  syscall(SYS_execve, "/proc/self/exe", argv, environ);
}

// A probe's stdout is not ours; ours may be a pipe to `head`, closed
// early. A handler (unlike SIG_IGN, which exec passes on to every probe)
// makes the write fail with EPIPE instead of killing the driver mid-search.
void OnSigpipe(int) {}

// The text answer goes to stdout: a write that failed there (a full disk,
// a closed descriptor) lost it, with exit 0. It exits 2 and says why, as a
// --json file that cannot be written does. A pipe its reader closed
// (`| head`) is the reader's choice, not an error.
int CheckStdout(int code) {
  errno = 0;
  std::cout.flush();
  bool failed = !std::cout.good() || std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  int error = errno;
  if (!failed || error == EPIPE) return code;
  std::cerr << "timerbisect: could not write the answer to standard output ("
            << (error != 0 ? std::strerror(error) : "write error") << "); exits "
            << timerbisect::cmd::kExitUsage << "\n";
  return timerbisect::cmd::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cmd = timerbisect::cmd;
  RestartWithoutShim(argv);
  struct sigaction sa = {};
  sa.sa_handler = OnSigpipe;
  sigaction(SIGPIPE, &sa, nullptr);

  CLI::App app{"timerbisect: find the timer call sites a test's result depends on."};
  auto formatter = std::make_shared<Formatter>();
  // Wide enough for "--launcher-arg ARG ..." and two spaces, which
  // help2man needs to tell an option from its description.
  formatter->column_width(32);
  app.formatter(formatter);
  app.set_version_flag("--version", "timerbisect " TIMERBISECT_VERSION);
  app.require_subcommand(0, 1);
  app.footer(
      "Exit codes: 0 found, 1 not timer-sensitive, 2 usage or setup error, 3 inconclusive,\n"
      "128+N stopped by signal N (Ctrl-C: 130).\n\n" +
      std::string(cmd::kShimEnvironmentHelp));

  // The root command is bisect; `timerbisect bisect ...` says it explicitly.
  cmd::SessionOptions root_bisect, bisect;
  cmd::AddBisectFlags(app, root_bisect);
  CLI::App* bisect_app =
      app.add_subcommand("bisect", "Find the minimal sets of timer sites that make CMD fail");
  cmd::AddBisectFlags(*bisect_app, bisect);
  // `triage`: is a flaky test about timers, and which timers.
  cmd::TriageOptions triage;
  CLI::App* triage_app = cmd::AddTriageCommand(app, triage);
  // `sites`: every timer site of one native run, with counts and stacks.
  cmd::SitesOptions sites;
  CLI::App* sites_app = cmd::AddSitesCommand(app, sites);
  // `env`: the export lines that reproduce a mode by hand.
  cmd::EnvOptions env;
  CLI::App* env_app = cmd::AddEnvCommand(app, env);

  cmd::NameFlagValues(app);

  if (argc > 1 && std::string_view(argv[1]) == "help") {
    std::cout << app.help();
    return 0;
  }
  if (argc > 1) {
    if (std::string_view sub = CloseSubcommand(argv[1]); !sub.empty()) {
      std::cerr << "timerbisect: unknown subcommand \"" << argv[1]
                << "\"; did you mean `timerbisect " << sub
                << "`? (to bisect a program of that name, give its path: ./" << argv[1] << ")\n";
      return timerbisect::cmd::kExitUsage;
    }
  }
  std::vector<std::string> words = CommandAfterDashes(app, argc, argv);
  std::vector<char*> word_pointers;
  for (std::string& word : words) word_pointers.push_back(word.data());
  word_pointers.push_back(nullptr);
  argc = static_cast<int>(words.size());
  argv = word_pointers.data();
  if (std::string flag = EmptyAssignment(app, argc, argv); !flag.empty()) {
    std::cerr << "timerbisect: " << flag << kEmptyValue << "\n";
    return timerbisect::cmd::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    const CLI::App* chosen = &app;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (argc > 1 && sub->get_name() == argv[1]) chosen = sub;
    }
    if (std::string unknown = UnknownFlag(app, *chosen, argc, argv); !unknown.empty()) {
      std::cerr << "timerbisect: " << unknown << "; see timerbisect "
                << (chosen == &app ? "" : chosen->get_name() + " ") << "--help\n";
      return timerbisect::cmd::kExitUsage;
    }
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    what = cmd::PlainParseError(what);
    const std::string help =
        "see timerbisect " + (chosen == &app ? "" : chosen->get_name() + " ") + "--help";
    if (chosen == env_app && dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      std::cerr << "timerbisect: env takes only flags and runs nothing (not expected: "
                << ExtraWords(*env_app, argc, argv)
                << "): run the lines it prints, then the command; " << help << "\n";
      return timerbisect::cmd::kExitUsage;
    }
    std::cerr << "timerbisect: " << what << "; " << help << "\n";
    return timerbisect::cmd::kExitUsage;
  }
  const CLI::App* const given_apps[] = {&app, bisect_app, triage_app, sites_app, env_app};
  for (const CLI::App* given : given_apps) {
    if (std::string empty = EmptyValue(*given); !empty.empty()) {
      std::cerr << "timerbisect: " << empty << "\n";
      return timerbisect::cmd::kExitUsage;
    }
  }
  if (*env_app && !root_bisect.command.empty()) {
    std::cerr << "timerbisect: env prints the lines to run a command by hand and runs nothing; "
                 "drop \""
              << root_bisect.command[0] << "\" and run it after the lines it prints\n";
    return timerbisect::cmd::kExitUsage;
  }
  if (*bisect_app) return CheckStdout(cmd::RunBisect(bisect));
  if (*triage_app) return CheckStdout(cmd::RunTriage(triage));
  if (*sites_app) return CheckStdout(cmd::RunSites(sites));
  if (*env_app) return CheckStdout(cmd::RunEnv(env));
  return CheckStdout(cmd::RunBisect(root_bisect));
}
