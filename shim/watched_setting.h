// Watch mode's setting of a timer object (timerfd_settime, timer_settime):
// the real call, counted as an arm or re-arm of the object's site.
#pragma once

#include <time.h>

#include <cstdint>

#include "guard.h"
#include "timespec.h"
#include "watch.h"

namespace timerbisect::shim {

// Makes the real call `set(previous)`, which writes the object's old
// setting to `previous`, and counts it for `site`: the kernel's old value
// tells whether the object was armed, atomically with the change. Returns
// what `set` returned, with its errno.
template <typename Set>
int WatchedSetting(std::uint64_t site, clockid_t clock, bool absolute, const itimerspec* new_value,
                   itimerspec* old_value, Set&& set) {
  itimerspec previous;
  itimerspec* previous_out = old_value != nullptr ? old_value : &previous;
  int result = set(previous_out);
  if (result != 0) return result;
  ShimScope scope;
  CountWatched(site, SettingEvents(ToNs(previous_out->it_value) != 0, ToNs(new_value->it_value),
                                   RequestedRemainingNs(*new_value, absolute, clock)));
  return result;
}

}  // namespace timerbisect::shim
