// The source frames of one address from DWARF: the line table gives the
// innermost file:line, the DIE tree gives the chain of inlined subroutines
// and the function that contains them.
#pragma once

#include <elfutils/libdwfl.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "symbolize/symbolizer.h"

namespace timerbisect::symbolize {

// What DwarfFrames keeps per module between calls.
struct DwarfCache {
  // Function names built from the DIE tree, by the address of the declaring
  // DIE in the module's mapped debug data (unique while the module is open).
  std::unordered_map<const void*, std::string> names;

  // Compile units by address range, from their DW_AT_ranges / low_pc, built
  // on first need: libdw 0.188 finds a CU by address only through
  // .debug_aranges, which clang does not emit unless -gdwarf-aranges.
  struct CuRange {
    Dwarf_Addr low, high;  // module addresses, [low, high)
    Dwarf_Die* cu;         // owned by libdwfl, lives as long as the module
  };
  bool cu_ranges_built = false;
  std::vector<CuRange> cu_ranges;  // sorted by low; CUs do not overlap
  Dwarf_Addr cu_bias = 0;
};

// Frames for `address` (a module address of `module`), innermost first,
// without module/offset. Empty when no compile unit covers the address (no
// debug info, or code without DWARF like PLT stubs and crt files). The last
// frame's function is "" when DWARF has line info but no function DIE.
std::vector<SourceFrame> DwarfFrames(Dwfl_Module* module, Dwarf_Addr address, DwarfCache* cache);

}  // namespace timerbisect::symbolize
