#include "thread_stacks.h"

#include <elfutils/libdwfl.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "symbolize/demangle.h"

namespace timerbisect::run {
namespace {

struct Walk {
  Dwfl* dwfl = nullptr;
  int max_frames = 0;
  int frames = 0;
  std::string out;
};

std::string Hex(Dwarf_Addr value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

int OnFrame(Dwfl_Frame* frame, void* arg) {
  Walk& walk = *static_cast<Walk*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  // A return address points after the call; look the call itself up.
  Dwarf_Addr lookup = activation ? pc : pc - 1;
  Dwfl_Module* module = dwfl_addrmodule(walk.dwfl, lookup);
  GElf_Off offset = 0;
  GElf_Sym symbol;
  const char* name = module == nullptr ? nullptr
                                       : dwfl_module_addrinfo(module, lookup, &offset, &symbol,
                                                              nullptr, nullptr, nullptr);
  walk.out += "\n    #" + std::to_string(walk.frames) + " " + Hex(pc) + " " +
              (name != nullptr ? symbolize::Demangle(name) + "+" + Hex(offset) : "?");
  return ++walk.frames < walk.max_frames ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int OnThread(Dwfl_Thread* thread, void* arg) {
  Walk& walk = *static_cast<Walk*>(arg);
  walk.out += "\n  thread " + std::to_string(dwfl_thread_tid(thread)) + ":";
  walk.frames = 0;
  if (dwfl_thread_getframes(thread, OnFrame, arg) < 0 && walk.frames == 0) {
    walk.out += std::string(" (no frames: ") + dwfl_errmsg(-1) + ")";
  }
  return DWARF_CB_OK;
}

}  // namespace

std::string ThreadStacks(pid_t pid, int max_frames) {
  static const Dwfl_Callbacks callbacks = {
      .find_elf = dwfl_linux_proc_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = nullptr,
      .debuginfo_path = nullptr,
  };
  std::unique_ptr<Dwfl, void (*)(Dwfl*)> dwfl(dwfl_begin(&callbacks), dwfl_end);
  if (!dwfl) return std::string("(no stacks: ") + dwfl_errmsg(-1) + ")";
  if (dwfl_linux_proc_report(dwfl.get(), pid) != 0 ||
      dwfl_report_end(dwfl.get(), nullptr, nullptr) != 0) {
    return std::string("(no stacks: cannot read the modules of ") + std::to_string(pid) + ")";
  }
  if (int error = dwfl_linux_proc_attach(dwfl.get(), pid, false); error != 0) {
    return std::string("(no stacks: cannot attach to ") + std::to_string(pid) + ": " +
           (error > 0 ? std::strerror(error) : dwfl_errmsg(-1)) + ")";
  }
  Walk walk;
  walk.dwfl = dwfl.get();
  walk.max_frames = max_frames;
  dwfl_getthreads(dwfl.get(), OnThread, &walk);
  return walk.out;
}

}  // namespace timerbisect::run
