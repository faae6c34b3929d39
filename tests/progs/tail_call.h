// Callbacks that end in a tail call (tail_call.S, x86-64 only: where it is
// built, TAIL_CALLS is defined). Called with any arguments, tail_caller_a
// jumps to tail_call_a[0] with tail_call_a[1..4] as its first four integer
// arguments; tail_caller_b likewise with tail_call_b.
#pragma once

#ifdef TAIL_CALLS
__attribute__((visibility("hidden"))) extern void* tail_call_a[5];
__attribute__((visibility("hidden"))) extern void* tail_call_b[5];
__attribute__((visibility("hidden"))) void tail_caller_a(void);
__attribute__((visibility("hidden"))) void tail_caller_b(void);
#endif
