// The lines the shim writes to its report besides match markers, which the
// driver reads back: cmd/target.cc keeps them in the journal and
// lib/report/site_reports.cc parses them. One spelling for both sides.
//
//   timerbisect: shim active pid=N TIMERSEM=VALUE
//   timerbisect: shim dropped pid=N exec=PATH missing=VAR,VAR changed=VAR,VAR
//     (each list only when not empty)
//   timerbisect: exec failed pid=N exec=PATH
//     (after a "shim dropped" line of the same exec, when the exec returned:
//     nothing was started, the line before is void)
//   timerbisect: site outside TIMERSEM_SCOPE pid=N api=API
//   timerbisect: io_uring pid=N: its timeouts are not intercepted
//
// Macros as well as constants: the shim pastes them into its snprintf
// formats, which must stay string literals.
#pragma once

#include <string_view>

#define TIMERBISECT_SHIM_ACTIVE "timerbisect: shim active "
#define TIMERBISECT_SHIM_DROPPED "timerbisect: shim dropped "
#define TIMERBISECT_EXEC_FAILED "timerbisect: exec failed "
#define TIMERBISECT_OUTSIDE_SCOPE "timerbisect: site outside TIMERSEM_SCOPE "
#define TIMERBISECT_IO_URING "timerbisect: io_uring "

namespace timerbisect::protocol {

inline constexpr std::string_view kShimActiveLine = TIMERBISECT_SHIM_ACTIVE;
inline constexpr std::string_view kShimDroppedLine = TIMERBISECT_SHIM_DROPPED;
inline constexpr std::string_view kExecFailedLine = TIMERBISECT_EXEC_FAILED;
inline constexpr std::string_view kOutsideScopeLine = TIMERBISECT_OUTSIDE_SCOPE;
inline constexpr std::string_view kIoUringLine = TIMERBISECT_IO_URING;

// Whether `line` is one of the lines above.
inline bool IsShimStatusLine(std::string_view line) {
  for (std::string_view prefix :
       {kShimActiveLine, kShimDroppedLine, kExecFailedLine, kOutsideScopeLine, kIoUringLine}) {
    if (line.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace timerbisect::protocol
