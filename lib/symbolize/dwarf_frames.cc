#include "symbolize/dwarf_frames.h"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <memory>

#include "symbolize/demangle.h"

namespace timerbisect::symbolize {
namespace {

// libdw returns scope arrays allocated with malloc.
using ScopeArray = std::unique_ptr<Dwarf_Die, decltype(&std::free)>;

// The DIE that declares a function: a concrete instance points to its
// abstract instance (DW_AT_abstract_origin), an out-of-class definition to
// its in-class declaration (DW_AT_specification), possibly both in turn.
Dwarf_Die Declaration(Dwarf_Die die) {
  for (int hops = 0; hops < 8; ++hops) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if (dwarf_attr(&die, DW_AT_abstract_origin, &attr) == nullptr &&
        dwarf_attr(&die, DW_AT_specification, &attr) == nullptr) {
      break;
    }
    if (dwarf_formref_die(&attr, &next) == nullptr) break;
    die = next;
  }
  return die;
}

std::string FunctionName(Dwarf_Die* die, DwarfCache* cache);

// `name` prefixed with the namespaces and classes around the declaration,
// as the demangler would print them ("ns::(anonymous namespace)::Cls::f").
// A local class is prefixed with its function, and a lambda's closure type
// (a class without a name) is "{lambda}": an inlined lambda's call operator
// reads "app::Worker()::{lambda}::operator()", close to the demangler's
// "app::Worker()::{lambda(int)#1}::operator()(int) const" for one out of
// line, where it used to be a bare "operator()". Each call walks the CU's
// DIE tree, hence the cache.
std::string QualifiedName(Dwarf_Die* die, const char* name, DwarfCache* cache) {
  Dwarf_Die declaration = Declaration(*die);
  if (auto known = cache->names.find(declaration.addr); known != cache->names.end())
    return known->second;
  Dwarf_Die* raw = nullptr;
  int n = dwarf_getscopes_die(&declaration, &raw);
  ScopeArray scopes(raw, &std::free);
  std::string qualified;
  for (int i = n - 1; i >= 1; --i) {  // outermost first; [0] is the declaration
    Dwarf_Die* scope = &scopes.get()[i];
    const char* scope_name = dwarf_diename(scope);
    switch (dwarf_tag(scope)) {
      case DW_TAG_namespace:
        qualified += scope_name != nullptr ? scope_name : "(anonymous namespace)";
        qualified += "::";
        break;
      case DW_TAG_class_type:
      case DW_TAG_structure_type:
        qualified += (scope_name != nullptr ? std::string(scope_name) : "{lambda}") + "::";
        break;
      case DW_TAG_union_type:
        if (scope_name != nullptr) qualified += std::string(scope_name) + "::";
        break;
      case DW_TAG_subprogram: {
        // A function around a local class: its own name is qualified whole.
        std::string function = FunctionName(scope, cache);
        if (!function.empty()) qualified = function + "::";
        break;
      }
      default:  // the CU, a lexical block
        break;
    }
  }
  qualified += name;
  cache->names.emplace(declaration.addr, qualified);
  return qualified;
}

// The function's name: its demangled linkage name when the DIE or the
// declaration it refers to has one (dwarf_attr_integrate follows
// DW_AT_abstract_origin and DW_AT_specification), which is qualified and
// has the parameter types. Otherwise DW_AT_name, qualified from the DIE
// tree: C functions, main, extern "C", and C++ functions with internal
// linkage, which GCC emits without linkage name.
std::string FunctionName(Dwarf_Die* die, DwarfCache* cache) {
  Dwarf_Attribute attr;
  const char* linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
  if (linkage == nullptr) {
    linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
  }
  if (linkage != nullptr) return Demangle(linkage);
  const char* name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
  return name != nullptr ? QualifiedName(die, name, cache) : "";
}

int UdataAttr(Dwarf_Die* die, unsigned int name) {
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_formudata(dwarf_attr(die, name, &attr), &value) != 0) return 0;
  return static_cast<int>(value);
}

// Where an inlined subroutine was called from: DW_AT_call_file indexes the
// line-table file list of the DIE's own compile unit.
void SetCallSite(Dwarf_Die* inlined, SourceFrame* caller) {
  caller->line = UdataAttr(inlined, DW_AT_call_line);
  caller->column = UdataAttr(inlined, DW_AT_call_column);
  Dwarf_Attribute attr;
  Dwarf_Word file_index = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &file_index) != 0) return;
  Dwarf_Die cu;
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_diecu(inlined, &cu, nullptr, nullptr) == nullptr ||
      dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || file_index >= nfiles) {
    return;
  }
  const char* file = dwarf_filesrc(files, file_index, nullptr, nullptr);
  if (file != nullptr) caller->file = file;
}

// Appends the DIEs below `parent` whose code contains `address`, outermost
// first: the physical nesting of functions, inlined subroutines and blocks.
//
// Not dwarf_getscopes: below an inlined subroutine it continues with the
// abstract definition's scopes, not the function it was inlined into; and
// libdw 0.188 returns no scopes at all when the function is nested in a
// namespace DIE (clang does this for template instances), since it prunes
// the walk at DIEs without addresses.
void ScopesAt(Dwarf_Die* parent, Dwarf_Addr address, std::vector<Dwarf_Die>* chain) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    switch (dwarf_tag(&child)) {
      case DW_TAG_namespace:
      case DW_TAG_module: {
        // No code of their own, but they may hold function definitions.
        // Classes are not searched: they hold only member declarations, the
        // definitions refer to them by DW_AT_specification from outside.
        size_t before = chain->size();
        ScopesAt(&child, address, chain);
        if (chain->size() != before) return;
        break;
      }
      case DW_TAG_subprogram:
      case DW_TAG_entry_point:
      case DW_TAG_inlined_subroutine:
      case DW_TAG_lexical_block:
      case DW_TAG_try_block:
      case DW_TAG_catch_block:
      case DW_TAG_with_stmt:
        // dwarf_haspc is -1 for DIEs with no code (declarations, abstract
        // instances): not a match.
        if (dwarf_haspc(&child, address) == 1) {
          chain->push_back(child);
          ScopesAt(&child, address, chain);
          return;
        }
        break;
      default:
        break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

void BuildCuRanges(Dwfl_Module* module, DwarfCache* cache) {
  cache->cu_ranges_built = true;
  Dwarf_Addr& bias = cache->cu_bias;
  for (Dwarf_Die* cu = nullptr; (cu = dwfl_module_nextcu(module, cu, &bias)) != nullptr;) {
    Dwarf_Addr base = 0, start = 0, end = 0;
    for (ptrdiff_t offset = 0; (offset = dwarf_ranges(cu, offset, &base, &start, &end)) > 0;) {
      if (start < end) cache->cu_ranges.push_back({start + bias, end + bias, cu});
    }
  }
  std::sort(cache->cu_ranges.begin(), cache->cu_ranges.end(),
            [](const auto& a, const auto& b) { return a.low < b.low; });
}

// The compile unit covering `address`, and its bias.
Dwarf_Die* FindCu(Dwfl_Module* module, Dwarf_Addr address, DwarfCache* cache, Dwarf_Addr* bias) {
  if (Dwarf_Die* cu = dwfl_module_addrdie(module, address, bias)) return cu;
  if (!cache->cu_ranges_built) BuildCuRanges(module, cache);
  auto after = std::upper_bound(cache->cu_ranges.begin(), cache->cu_ranges.end(), address,
                                [](Dwarf_Addr a, const auto& r) { return a < r.low; });
  if (after == cache->cu_ranges.begin() || address >= std::prev(after)->high) return nullptr;
  *bias = cache->cu_bias;
  return std::prev(after)->cu;
}

// The innermost file:line from the CU's line table. dwarf_getsrc_die, not
// dwfl_module_getsrc: the latter finds the CU through .debug_aranges only.
void SetLine(Dwarf_Die* cudie, Dwarf_Addr address, SourceFrame* frame) {
  Dwarf_Line* line = dwarf_getsrc_die(cudie, address);
  if (line == nullptr) return;
  const char* file = dwarf_linesrc(line, nullptr, nullptr);
  if (file != nullptr) frame->file = file;
  dwarf_lineno(line, &frame->line);
  dwarf_linecol(line, &frame->column);
}

}  // namespace

std::vector<SourceFrame> DwarfFrames(Dwfl_Module* module, Dwarf_Addr address, DwarfCache* cache) {
  Dwarf_Addr bias = 0;
  Dwarf_Die* cudie = FindCu(module, address, cache, &bias);
  if (cudie == nullptr) return {};

  SourceFrame current;
  SetLine(cudie, address - bias, &current);

  std::vector<Dwarf_Die> outermost_first;
  ScopesAt(cudie, address - bias, &outermost_first);
  std::vector<SourceFrame> frames;
  for (auto it = outermost_first.rbegin(); it != outermost_first.rend(); ++it) {
    Dwarf_Die* die = &*it;
    switch (dwarf_tag(die)) {
      case DW_TAG_inlined_subroutine:
        // This frame ran inside the inlined body; the next one is the
        // function it was inlined into, stopped at the inlined call.
        current.function = FunctionName(die, cache);
        current.inlined = true;
        frames.push_back(std::move(current));
        current = SourceFrame{};
        SetCallSite(die, &current);
        break;
      case DW_TAG_subprogram:
      case DW_TAG_entry_point:
        current.function = FunctionName(die, cache);
        frames.push_back(std::move(current));
        return frames;
      default:  // lexical blocks
        break;
    }
  }
  // No enclosing function DIE (assembly with line info, or a broken DIE
  // tree): keep what is known; the caller names it from the symbol table.
  frames.push_back(std::move(current));
  return frames;
}

}  // namespace timerbisect::symbolize
