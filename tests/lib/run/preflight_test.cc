// The setup checks before any probe: the command found as execvp finds it,
// and executables LD_PRELOAD cannot reach (static, setuid, capabilities, Go,
// scripts of those) named in one line.
#include <gtest/gtest.h>

#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "process_support.h"
#include "run/preflight.h"

namespace timerbisect::run {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The error of a check expected to fail; "" (and a test failure) if it passed.
template <class T>
std::string ErrorOf(const base::Expected<T>& result) {
  EXPECT_FALSE(result);
  return result ? "" : result.error();
}

TEST(ResolveCommand, SearchesPath) {
  auto resolved = ResolveCommand("sh");
  ASSERT_TRUE(resolved) << resolved.error();
  EXPECT_EQ(fs::path(*resolved).filename(), "sh");
  EXPECT_EQ(access(resolved->c_str(), X_OK), 0);
  EXPECT_EQ(ErrorOf(ResolveCommand("foo-not-here", "/nonexistent:/usr/bin")),
            "timerbisect: command not found: foo-not-here (not in PATH)");
}

TEST(ResolveCommand, PathsWithASlashAreTakenAsGiven) {
  auto resolved = ResolveCommand("/bin/true");
  ASSERT_TRUE(resolved) << resolved.error();
  EXPECT_EQ(*resolved, "/bin/true");
  EXPECT_EQ(ErrorOf(ResolveCommand("/nonexistent/foo")),
            "timerbisect: command not found: /nonexistent/foo (no such file)");
  EXPECT_EQ(ErrorOf(ResolveCommand("/tmp")), "timerbisect: cannot run /tmp: Is a directory");
}

TEST(ResolveCommand, NamesAFileThatIsNotExecutable) {
  TempDir dir;
  WriteFile(dir.path() / "tool", "#!/bin/sh\n", fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(ErrorOf(ResolveCommand("tool", dir.path().c_str())),
            "timerbisect: cannot run " + (dir.path() / "tool").string() +
                ": not executable (chmod +x it?)");
}

TEST(CheckPreloadable, DynamicExecutableIsFine) {
  EXPECT_TRUE(CheckPreloadable("/bin/true"));
  EXPECT_TRUE(CheckPreloadable(RUN_CRASH));
}

// A program with libuv and libevent compiled in (it defines their timer
// calls itself) is named with them; a program that only calls them, a
// shell command and a missing program are not (audit 27: a test runner
// linked against libuv.a was "not timer-sensitive" without a word).
TEST(FindLinkedInLoops, NamesTheLibrariesAProgramDefinesItself) {
  LinkedInLoops loops = FindLinkedInLoops({RUN_LINKED_IN_LOOPS, "arg"}, false);
  EXPECT_EQ(loops.program, RUN_LINKED_IN_LOOPS);
  EXPECT_EQ(loops.libraries, (std::vector<std::string>{"libuv", "libevent"}));
  EXPECT_EQ(LinkedInLoopsSentence(loops),
            std::string(RUN_LINKED_IN_LOOPS) +
                " has libuv and libevent compiled in (it defines the timer calls itself), and the "
                "shim can switch a library's timers only in its shared library: link them as "
                "shared libraries (the .so, not the .a) to make their timers sites");
  EXPECT_TRUE(FindLinkedInLoops({RUN_CRASH}, false).libraries.empty());
  EXPECT_TRUE(FindLinkedInLoops({RUN_LINKED_IN_LOOPS}, true).libraries.empty());
  EXPECT_TRUE(FindLinkedInLoops({"/no/such/program"}, false).libraries.empty());
  EXPECT_EQ(LinkedInLoopsSentence(FindLinkedInLoops({RUN_CRASH}, false)), "");
}

TEST(CheckPreloadable, StaticExecutables) {
  EXPECT_EQ(ErrorOf(CheckPreloadable(RUN_STATIC)),
            std::string("timerbisect: ") + RUN_STATIC +
                " is statically linked: no dynamic loader runs in it to load LD_PRELOAD; rebuild "
                "it dynamically linked");
  EXPECT_NE(ErrorOf(CheckPreloadable(RUN_STATIC_PIE)).find(" is static-pie: "), std::string::npos);
}

TEST(CheckPreloadable, SetuidAndSetgid) {
  TempDir dir;
  fs::path copy = dir.path() / "true";
  fs::copy_file("/bin/true", copy);
  ASSERT_EQ(chmod(copy.c_str(), 04755), 0);
  EXPECT_NE(ErrorOf(CheckPreloadable(copy)).find(copy.string() + " is setuid: "),
            std::string::npos);
  ASSERT_EQ(chmod(copy.c_str(), 02755), 0);
  EXPECT_NE(ErrorOf(CheckPreloadable(copy)).find(copy.string() + " is setgid: "),
            std::string::npos);
  ASSERT_EQ(chmod(copy.c_str(), 0755), 0);
  EXPECT_TRUE(CheckPreloadable(copy));
}

TEST(CheckPreloadable, FileCapabilities) {
  TempDir dir;
  fs::path copy = dir.path() / "true";
  fs::copy_file("/bin/true", copy);
  vfs_cap_data caps{};
  caps.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
  caps.data[0].permitted = 1u << CAP_NET_RAW;
  if (setxattr(copy.c_str(), "security.capability", &caps, XATTR_CAPS_SZ_2, 0) != 0) {
    GTEST_SKIP() << "cannot set file capabilities here: " << std::strerror(errno);
  }
  EXPECT_NE(ErrorOf(CheckPreloadable(copy)).find("has file capabilities"), std::string::npos);
}

TEST(CheckPreloadable, ScriptsAreJudgedByTheirInterpreter) {
  TempDir dir;
  WriteFile(dir.path() / "ok", "#!/bin/sh -e\necho hi\n", fs::perms::owner_all);
  EXPECT_TRUE(CheckPreloadable(dir.path() / "ok"));
  WriteFile(dir.path() / "env", "#!/usr/bin/env sh\necho hi\n", fs::perms::owner_all);
  EXPECT_TRUE(CheckPreloadable(dir.path() / "env"));

  fs::path bad = dir.path() / "bad";
  WriteFile(bad, std::string("#!") + RUN_STATIC + "\n", fs::perms::owner_all);
  EXPECT_EQ(ErrorOf(CheckPreloadable(bad)),
            "timerbisect: script " + bad.string() + ": " + RUN_STATIC +
                " is statically linked: no dynamic loader runs in it to "
                "load LD_PRELOAD; rebuild it dynamically linked");
  fs::path bad_env = dir.path() / "bad_env";
  WriteFile(bad_env, std::string("#!/usr/bin/env -S ") + RUN_STATIC + " --flag\n",
            fs::perms::owner_all);
  EXPECT_NE(ErrorOf(CheckPreloadable(bad_env)).find("statically linked"), std::string::npos);
  fs::path missing = dir.path() / "missing";
  WriteFile(missing, "#!/nonexistent/interp\n", fs::perms::owner_all);
  EXPECT_EQ(ErrorOf(CheckPreloadable(missing)),
            "timerbisect: script " + missing.string() +
                " names an interpreter that does not exist: #!/nonexistent/interp");
}

TEST(CheckPreloadable, GoBinariesPointToGodebug) {
  for (const char* path : {RUN_FAKE_GO_SECTION, RUN_FAKE_GO_NOTE}) {
    std::string error = ErrorOf(CheckPreloadable(path));
    EXPECT_NE(error.find(" is a Go program: "), std::string::npos) << path << ": " << error;
    EXPECT_NE(error.find("--godebug"), std::string::npos) << error;
  }
}

TEST(CheckPreloadable, MissingFile) {
  EXPECT_EQ(ErrorOf(CheckPreloadable("/nonexistent/foo")),
            "timerbisect: cannot inspect /nonexistent/foo: No such file or directory");
}

TEST(CheckPreloadable, NonElfFilesAreLeftToExec) {
  TempDir dir;
  WriteFile(dir.path() / "data",
            std::string("\x7f"
                        "ELX and some bytes"),
            fs::perms::owner_all);
  EXPECT_TRUE(CheckPreloadable(dir.path() / "data"));
  WriteFile(dir.path() / "truncated",
            std::string("\x7f"
                        "ELF\x02\x01"),
            fs::perms::owner_all);
  EXPECT_TRUE(CheckPreloadable(dir.path() / "truncated"));
}

}  // namespace
}  // namespace timerbisect::run
