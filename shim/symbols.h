// Function names for return addresses, for match reports and
// TIMERSEM_SCOPE.
//
// dladdr sees only a module's dynamic symbols: it named no function of a
// program linked without -rdynamic and no static function anywhere, so
// TIMERSEM_SCOPE=SomeTestFunction matched nothing, and it scans the whole
// table on every call (about 30,000 instructions a frame in libc). Here each
// module's full symbol table (.symtab, or .dynsym when the file was
// stripped, as Debian's libraries are) is read once from its file, sorted,
// and then searched by address.
//
// Safe wherever a site is decided, signal handlers and fork children
// included: no malloc and no lock. A module's table is built with raw
// system calls (open, fstat, mmap) into mappings of its own, published with
// a CAS, and never freed; two threads may build the same one, and the loser
// unmaps its copy.
#pragma once

namespace timerbisect::shim {

// The name of the function `pc` (a return address) is in, as in the symbol
// table (C++ names mangled); nullptr when the module has no symbol for it.
// Falls back to dladdr for a module whose file cannot be read (the vDSO).
const char* FunctionName(void* pc);

// Reads the symbol tables of the program and libc, the two modules on
// nearly every stack, so that the first timer call does not pay for it
// (about 0.5 ms, mostly libc's, on the 2-core VM). Others are read on
// first use.
void IndexCommonModules();

}  // namespace timerbisect::shim
