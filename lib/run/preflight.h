// Setup checks the driver runs before any probe, so a command that cannot
// work fails in one clear line instead of after a search (docs/DESIGN.md,
// "Setup errors are clear and early"). Each fails with an error line
// prefixed "timerbisect: ".
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"

namespace timerbisect::run {

// The path of the executable argv0 names: itself if it contains a '/', else
// the first executable file of that name in `search_path` (a PATH value;
// nullptr: this process's $PATH), as execvp does.
// "timerbisect: command not found: foo (not in PATH)"
base::Expected<std::string> ResolveCommand(const std::string& argv0,
                                           const char* search_path = nullptr);

// Why LD_PRELOAD cannot reach this executable, if it cannot: static or
// static-pie (no PT_INTERP), a setuid or setgid bit or file capabilities
// (ld.so's secure-execution mode ignores LD_PRELOAD), or a Go binary (its
// timers never call libc; bisect it with --godebug). A #! script is checked
// through its interpreter, and through the program `/usr/bin/env` runs. Files
// that are neither ELF nor scripts pass: execve has the last word.
base::Expected<void> CheckPreloadable(const std::string& path);

// The command's program (resolved as ResolveCommand does), if it has an
// event-loop library compiled in (run/elf_inspect.h: LoopLibrariesLinkedIn),
// and those libraries; nothing for a shell command or any other program.
struct LinkedInLoops {
  std::string program;
  std::vector<std::string> libraries;
};
LinkedInLoops FindLinkedInLoops(const std::vector<std::string>& command, bool shell);

// One sentence for them: "PROG has libuv compiled in ..."; "" if none.
std::string LinkedInLoopsSentence(const LinkedInLoops& loops);

}  // namespace timerbisect::run
