#include "symbolize/demangle.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace timerbisect::symbolize {

std::string Demangle(const char* name) {
  if (name == nullptr) return "";
  // Only "_Z" names are mangled; a C name like "Z" or "_Zebra_init" could
  // otherwise demangle by accident into nonsense.
  if (name[0] != '_' || name[1] != 'Z') return name;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  if (status != 0 || demangled == nullptr) return name;
  return demangled.get();
}

}  // namespace timerbisect::symbolize
