// tail_caller_a and tail_caller_b (tail_call.h): callbacks whose only
// statement is a tail call, so that the function they call returns
// straight into the library that called them, as a callback compiled at
// -O2 whose last statement is `uv_timer_start(...)` does. Written in
// assembly because a compiler makes that tail call only when it likes
// (never under TSan, whose function-exit hook follows every call).
#if defined(__x86_64__)
        .macro TAIL_CALLER name, slots
        .text
        .globl \name
        .hidden \name
        .type \name, @function
\name:
        .cfi_startproc
        movq \slots+8(%rip), %rdi
        movq \slots+16(%rip), %rsi
        movq \slots+24(%rip), %rdx
        movq \slots+32(%rip), %rcx
        jmp *\slots(%rip)
        .cfi_endproc
        .size \name, .-\name
        .endm

        TAIL_CALLER tail_caller_a, tail_call_a
        TAIL_CALLER tail_caller_b, tail_call_b
#endif
        .section .note.GNU-stack, "", @progbits
