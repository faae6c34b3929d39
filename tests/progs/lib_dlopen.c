// Loads lib_plugin/uv_plugin.c (argv[1]: its path) with dlopen(RTLD_LOCAL)
// and prints "order XY" from its libuv timers (tests/shim_libtimers_test.cc).
// The program itself does not link libuv.
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  void* plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (plugin == NULL) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  const char* (*order)(void) = (const char* (*)(void))dlsym(plugin, "PluginTimerOrder");
  if (order == NULL) return 1;
  printf("order %s\n", order());
  return 0;
}
