// What an executable's ELF headers say about whether the dynamic loader, and
// so LD_PRELOAD, will run in it. Reads headers only (pread), never the whole
// file, and treats anything malformed as "not ELF": execve has the last word.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace timerbisect::run {

struct ElfFacts {
  bool has_interp = false;            // PT_INTERP: ld.so runs first and reads LD_PRELOAD
  bool position_independent = false;  // ET_DYN: without PT_INTERP, a static-pie
  bool go = false;                    // a .go.buildinfo section or a Go build-id note
};

// nullopt if `fd` is not a readable ELF file of this machine's byte order.
std::optional<ElfFacts> InspectElf(int fd);

// The event-loop libraries compiled into this executable instead of loaded
// as shared libraries ("libuv", "GLib", "libevent", "sd-event"): it defines
// their functions itself (uv_timer_start, g_timeout_add_full,
// event_base_loop, sd_event_add_time) in its symbol table. The shim interposes a library's
// timers only in its shared library. Empty for anything else, or a symbol
// table too large to read.
std::vector<std::string> LoopLibrariesLinkedIn(int fd);

}  // namespace timerbisect::run
