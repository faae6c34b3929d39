// C++ symbol demangling for frame names.
#pragma once

#include <string>

namespace timerbisect::symbolize {

// The demangled form of an Itanium-ABI mangled name ("_ZN5tbsym4TickEi" ->
// "tbsym::Tick(int)"); any other name (C, or mangling the demangler rejects)
// is returned unchanged. nullptr gives "".
std::string Demangle(const char* name);

}  // namespace timerbisect::symbolize
