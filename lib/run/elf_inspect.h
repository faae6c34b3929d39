// What an executable's ELF headers say about whether the dynamic loader, and
// so LD_PRELOAD, will run in it. Reads headers only (pread), never the whole
// file, and treats anything malformed as "not ELF": execve has the last word.
#pragma once

#include <optional>

namespace timerbisect::run {

struct ElfFacts {
  bool has_interp = false;            // PT_INTERP: ld.so runs first and reads LD_PRELOAD
  bool position_independent = false;  // ET_DYN: without PT_INTERP, a static-pie
  bool go = false;                    // a .go.buildinfo section or a Go build-id note
};

// nullopt if `fd` is not a readable ELF file of this machine's byte order.
std::optional<ElfFacts> InspectElf(int fd);

}  // namespace timerbisect::run
