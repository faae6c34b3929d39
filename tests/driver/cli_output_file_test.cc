// cmd/output_file.h: --json and --junit files are replaced whole (written
// beside themselves and renamed over), so an interrupt never leaves half of
// one; a path that is not a regular file is written in place.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "output_file.h"

namespace timerbisect::cmd {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(OutputFile, ARegularFileIsReplacedWholeWithNothingLeftBeside) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("tb-output-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "answer.json").string();
  std::ofstream(path) << "an older, longer answer that must not survive in part\n";
  struct stat before {};
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  ASSERT_TRUE(WriteOutput("--json", path, "{}\n"));
  EXPECT_EQ(Slurp(path), "{}\n");
  struct stat after {};
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  EXPECT_NE(after.st_ino, before.st_ino) << "written in place, not renamed over";
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            1);
  ASSERT_TRUE(WriteOutput("--json", (dir / "new.json").string(), "[]\n"));
  EXPECT_EQ(Slurp((dir / "new.json").string()), "[]\n");
  std::filesystem::remove_all(dir);
}

TEST(OutputFile, DevNullIsWrittenNotReplaced) {
  ASSERT_TRUE(WriteOutput("--json", "/dev/null", "{}\n"));
  struct stat st {};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(OutputFile, AnUnwritableDirectoryIsOneErrorAndNoFile) {
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(WriteOutput("--junit", "/proc/no-such-dir/x.xml", "<x/>"));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "timerbisect: cannot write --junit /proc/no-such-dir/x.xml: No such file or directory; "
            "the answer above stands, but this run exits 2 as its output is incomplete\n");
}

// A device that takes the open but not the bytes fails only when the
// buffer goes out: the error says why.
TEST(OutputFile, AFullDeviceSaysWhy) {
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(WriteOutput("--json", "/dev/full", "{}\n"));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "timerbisect: cannot write --json /dev/full: No space left on device; the answer "
            "above stands, but this run exits 2 as its output is incomplete\n");
}

// A symbolic link to a file not made yet is a good output (the write
// creates the file it names), unless that file could not be made; a loop of
// links is refused in one line.
TEST(OutputFile, ALinkToAFileNotMadeYetIsCheckedThroughItsTarget) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("tb-links-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string link = (dir / "answer.json").string();
  std::filesystem::create_symlink("later.json", link);
  EXPECT_TRUE(CheckOutputPath("--json", link));
  EXPECT_FALSE(std::filesystem::exists(dir / "later.json")) << "the check left a file";
  ASSERT_TRUE(WriteOutput("--json", link, "{}\n"));
  EXPECT_EQ(Slurp((dir / "later.json").string()), "{}\n");
  EXPECT_TRUE(std::filesystem::is_symlink(link)) << "the link was replaced";

  const std::string nowhere = (dir / "nowhere.json").string();
  std::filesystem::create_symlink("/no-such-dir/x.json", nowhere);
  auto refused = CheckOutputPath("--json", nowhere);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "timerbisect: --json " + nowhere +
                                 ": links to /no-such-dir/x.json: its directory /no-such-dir does "
                                 "not exist");

  const std::string a = (dir / "a").string(), b = (dir / "b").string();
  std::filesystem::create_symlink(b, a);
  std::filesystem::create_symlink(a, b);
  auto loop = CheckOutputPath("--json", a);
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error(), "timerbisect: --json " + a +
                              ": is a symbolic link that leads nowhere; give a file name");
  std::filesystem::remove_all(dir);
}

// A file of /proc opens for root, and its write fails only at the end:
// refused before any run instead.
TEST(OutputFile, AFileOfProcIsRefusedUpFront) {
  auto checked = CheckOutputPath("--json", "/proc/version");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error(),
            "timerbisect: --json /proc/version: is in /proc or /sys, which take no report; give a "
            "file name");
  EXPECT_TRUE(CheckOutputPath("--json", "/dev/null")) << "a device that takes the bytes";
}

}  // namespace
}  // namespace timerbisect::cmd
