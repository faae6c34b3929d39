#include "output_file.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace timerbisect::cmd {

base::Expected<void> CheckOutputPath(const char* flag, const std::string& path) {
  using Result = base::Expected<void>;
  if (path.empty() || path == "-") return {};
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string prefix = std::string("timerbisect: ") + flag + " " + path + ": ";
  fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status)) return Result::Fail(prefix + "is a directory; give a file name");
  // A file of /proc or /sys opens for root but takes no report: its write
  // would fail only after the whole search.
  if (struct statfs fs_info;
      fs::exists(status) && statfs(path.c_str(), &fs_info) == 0 &&
      (fs_info.f_type == PROC_SUPER_MAGIC || fs_info.f_type == SYSFS_MAGIC)) {
    return Result::Fail(prefix + "is in /proc or /sys, which take no report; give a file name");
  }
  // Opening it is the test that counts: access() says yes to root for
  // most files, and nothing but a create tells whether /proc or a
  // read-only mount takes one. Neither changes the file; O_NONBLOCK keeps a
  // FIFO without a reader from hanging here.
  if (fs::exists(status)) {
    int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return Result::Fail(prefix + "cannot be written (" + std::strerror(errno) + ")");
    close(fd);
    return {};
  }
  // A symbolic link to a file not made yet: the write creates that file
  // (WriteOutput writes through a link), so the link's target is checked.
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    fs::path target = fs::read_symlink(path, ec);
    if (target.is_relative()) target = fs::path(path).parent_path() / target;
    // A loop of links: exists() is false for each; give up on it here.
    if (ec || fs::is_symlink(fs::symlink_status(target, ec))) {
      return Result::Fail(prefix + "is a symbolic link that leads nowhere; give a file name");
    }
    auto checked = CheckOutputPath(flag, target.string());
    if (checked) return {};
    // Its error, "timerbisect: FLAG TARGET: why", said of the link.
    const std::size_t why =
        std::string("timerbisect: ").size() + std::strlen(flag) + 1 + target.string().size() + 2;
    return Result::Fail(prefix + "links to " + target.string() + ": " +
                        checked.error().substr(std::min(why, checked.error().size())));
  }
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    return Result::Fail(prefix + "its directory " + parent.string() + " does not exist");
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Result::Fail(prefix + "cannot create it in " + parent.string() + " (" +
                        std::strerror(errno) + ")");
  }
  close(fd);
  unlink(path.c_str());
  return {};
}

namespace {

// WriteOutput, saying `consequence` after the reason when it fails.
bool WriteFile(const char* flag, const std::string& path, const std::string& text,
               const char* consequence) {
  if (path.empty()) return true;
  if (path == "-") {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout);
  }
  // A regular file is written beside itself and renamed over, so a reader
  // (or an interrupt arriving mid-write, run/interrupt.h) never sees half
  // of it. Anything else (/dev/null, a FIFO, a symbolic link, which a
  // rename would replace), or a file in a directory this process may not
  // create files in, is written in place.
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status status = fs::symlink_status(path, ec);
  if (!fs::exists(status) || fs::is_regular_file(status)) {
    const std::string beside = path + ".tmp-" + std::to_string(getpid());
    std::ofstream file(beside);
    if (file) {
      file << text;
      file.close();
      if (file && std::rename(beside.c_str(), path.c_str()) == 0) return true;
      unlink(beside.c_str());
    }
  }
  errno = 0;
  std::ofstream file(path);
  file << text;
  file.close();  // a full disk (or /dev/full) says so only when the buffer goes out
  if (file) return true;
  const int error = errno;
  std::cerr << "timerbisect: cannot write " << flag << " " << path
            << (error != 0 ? std::string(": ") + std::strerror(error) : std::string())
            << consequence << "\n";
  return false;
}

}  // namespace

bool WriteOutput(const char* flag, const std::string& path, const std::string& text) {
  return WriteFile(flag, path, text,
                   "; the answer above stands, but this run exits 2 as its output is incomplete");
}

void WriteInterruptedOutput(const char* flag, const std::string& path, const std::string& text) {
  if (path != "-") WriteFile(flag, path, text, "");
}

std::string SetupErrorMessage(const Errors& errors) {
  std::string message;
  for (const std::string& e : errors) {
    if (!message.empty()) message += "; ";
    message += e.starts_with("timerbisect: ") ? e.substr(13) : e;
  }
  return message;
}

void WriteSetupErrorReports(const Errors& errors, const std::vector<ErrorReportFile>& files) {
  for (const ErrorReportFile& file : files) {
    if (file.path.empty() || file.path == "-" || !CheckOutputPath(file.flag, file.path)) continue;
    const std::string about = std::string(file.flag) + " ";
    const bool named = std::any_of(errors.begin(), errors.end(), [&](const std::string& e) {
      return e.find(about) != std::string::npos;
    });
    if (!named) WriteFile(file.flag, file.path, file.text, "");
  }
}

}  // namespace timerbisect::cmd
