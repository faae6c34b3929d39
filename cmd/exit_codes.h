// Exit codes of `timerbisect` (README, "Exit codes"; the man page).
#pragma once

#include "search/search.h"

namespace timerbisect::cmd {

inline constexpr int kExitFound = 0;         // a set found (triage: timer-sensitive)
inline constexpr int kExitNotSensitive = 1;  // the target's result does not depend on timers
inline constexpr int kExitUsage = 2;         // bad flags, or a command that cannot work
inline constexpr int kExitInconclusive = 3;  // more runs would be needed

inline int ExitCode(search::Outcome outcome) {
  switch (outcome) {
    case search::Outcome::kFound:
      return kExitFound;
    case search::Outcome::kNotSensitive:
      return kExitNotSensitive;
    case search::Outcome::kInconclusive:
      return kExitInconclusive;
  }
  return kExitInconclusive;
}

}  // namespace timerbisect::cmd
