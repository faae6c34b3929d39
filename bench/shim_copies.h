// Private copies of libtimerbisect.so for the overhead benchmarks: each
// configuration dlopens its own copy of the file (dlopen of the same path
// would share one state), after setting the environment the copy reads as
// it loads. The copies are removed when the ShimCopies goes.
#pragma once

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace timerbisect::bench {

class ShimCopies {
 public:
  explicit ShimCopies(std::string program) : program_(std::move(program)) {}
  ~ShimCopies() {
    for (const auto& copy : copies_) std::filesystem::remove(copy);
  }
  ShimCopies(const ShimCopies&) = delete;
  ShimCopies& operator=(const ShimCopies&) = delete;

  // Loads a copy of `shim` under TIMERSEM=timersem (null: unset) and
  // TIMERSEM_DEPTH=depth, reports to /dev/null; exits 2 if it cannot.
  void* Load(const char* name, const std::string& shim, const char* timersem, const char* depth) {
    std::string copy = std::filesystem::temp_directory_path() /
                       (program_ + "-" + std::to_string(getpid()) + "-" + name + ".so");
    std::filesystem::copy_file(shim, copy, std::filesystem::copy_options::overwrite_existing);
    copies_.push_back(copy);
    if (timersem) {
      setenv("TIMERSEM", timersem, 1);
    } else {
      unsetenv("TIMERSEM");
    }
    setenv("TIMERSEM_DEPTH", depth, 1);
    setenv("TIMERSEM_REPORT", "/dev/null", 1);
    void* handle = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      std::fprintf(stderr, "%s: cannot load %s: %s\n", program_.c_str(), copy.c_str(), dlerror());
      std::exit(2);
    }
    return handle;
  }

  // `symbol` in a loaded copy; exits 2 if the shim has none.
  template <typename Fn>
  Fn Lookup(void* handle, const char* symbol) const {
    void* p = dlsym(handle, symbol);
    if (p == nullptr) {
      std::fprintf(stderr, "%s: the shim has no %s\n", program_.c_str(), symbol);
      std::exit(2);
    }
    return reinterpret_cast<Fn>(p);
  }

 private:
  std::string program_;
  std::vector<std::string> copies_;
};

// Each copy's thread-local buffers (the shim's initial-exec TLS, about
// 2.6 KiB: its stack walk and report line) come from glibc's static TLS
// surplus for dlopen, 512 bytes by default, so a second copy did not load
// ("cannot allocate memory in static TLS block"). The tunable is read only
// at start-up: the benchmark runs itself again once with room for its
// copies. LD_PRELOAD, the shim's normal use, needs none of this.
inline void EnsureStaticTlsRoom(char** argv) {
  constexpr const char* kTunable = "glibc.rtld.optional_static_tls=";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, kTunable) != nullptr) return;
  std::string value = tunables != nullptr && *tunables != '\0' ? std::string(tunables) + ":" : "";
  value += std::string(kTunable) + "65536";
  setenv("GLIBC_TUNABLES", value.c_str(), 1);
  execv("/proc/self/exe", argv);
  std::fprintf(stderr, "%s: cannot run itself again with %s: %s\n", argv[0], value.c_str(),
               std::strerror(errno));
  std::exit(2);
}

// The --shim PATH argument (default: `built`), removed from argv; the rest,
// argv[0] first, go to Google Benchmark.
inline std::string TakeShimArgument(int argc, char** argv, const char* built,
                                    std::vector<char*>& rest) {
  std::string shim;
  rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--shim") == 0 && i + 1 < argc) {
      shim = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  return shim.empty() ? built : shim;
}

}  // namespace timerbisect::bench
