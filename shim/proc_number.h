// A number from a small procfs file (/proc/self/status, fdinfo), read with
// raw system calls into a stack buffer: callable from a signal handler and
// before the shim is initialized.
#pragma once

#include <cstdint>
#include <optional>

namespace timerbisect::shim {

// The number after `key` (such as "FDSize:", spaces or tabs between) in the
// first 511 bytes of the file at `path`; nullopt if it cannot be read or
// has no such key there.
std::optional<std::uint64_t> ProcNumber(const char* path, const char* key);

}  // namespace timerbisect::shim
