// How to add an interceptor
// -------------------------
// 1. Put it in the file of its API family (timerfd.cc, sleep.cc, poll.cc ...).
// 2. Declare the real function beside it: TB_REAL(name) for a function with one
//    implementation, TB_REAL_VERSIONED(name, suffix, "GLIBC_x.y") once per
//    version glibc exports (objdump -T libc.so.6), and list each version in
//    versions.map. Define each version as tb_NAME_SUFFIX (tb_clock_nanosleep_v2_17)
//    bound with TB_SYMVER; a function with one version keeps its own name.
// 3. The body opens with the prologue, then calls a helper named for its
//    semantics:
//
//      TB_REAL(nanosleep)
//      TB_EXPORT int nanosleep(const timespec* req, timespec* rem) {
//        if (!ShimActive()) return real_nanosleep(req, rem);
//        {
//          ShimScope scope;   // reentrancy guard + the caller's errno kept
//          ...decide the site, adjust the request...
//        }
//        return real_nanosleep(adjusted, rem);   // outside the scope
//      }
//
//    ShimActive() is the whole inert path: a TLS load, an atomic load, one
//    branch. Keep errno, return values and EINTR behaviour legal for the API.
// 4. Add a program under tests/progs/ that shows old and new apart, and a
//    test in tests/shim_*_test.cc.
#pragma once

#include "real.h"
#include "site.h"
#include "state.h"

#define TB_EXPORT extern "C" __attribute__((visibility("default")))

// Binds `impl` (a TB_EXPORT function) to `name@version` (or the default
// version with `@@`), listed in versions.map.
// "remove" (binutils 2.35+) keeps `impl` itself out of the dynamic symbol
// table: only the versioned name is exported.
#define TB_SYMVER(impl, versioned_name) __asm__(".symver " #impl "," versioned_name ", remove")
