// A function compiled without unwind tables or frame pointer that creates
// a timerfd (robust_nounwind_leaf.c).
#pragma once

// A non-blocking CLOCK_MONOTONIC timerfd, or -1.
int CreateTimerWithoutUnwindInfo(void);
