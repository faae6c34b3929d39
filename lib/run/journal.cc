#include "run/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "protocol/marker.h"

namespace timerbisect::run {
namespace {

std::optional<JournalEntry> ParseLine(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("key") || !j["key"].is_string() ||
      !j.contains("failed") || !j["failed"].is_boolean()) {
    return std::nullopt;
  }
  JournalEntry e;
  e.key = j["key"].get<std::string>();
  e.pattern = j.value("pattern", "");
  e.failed = j["failed"].get<bool>();
  e.kind = j.value("kind", "");
  e.duration = std::chrono::milliseconds(j.value("duration_ms", 0));
  e.report = j.value("report", "");
  e.node = j.value("node", "");
  if (j.contains("reported") && j["reported"].is_array()) {
    for (const auto& id : j["reported"]) {
      if (id.is_string())
        e.reported.push_back(std::strtoull(id.get<std::string>().c_str(), nullptr, 16));
    }
  }
  return e;
}

}  // namespace

namespace {

// The first field in which two identities differ, for the error line.
std::string FirstDifference(const nlohmann::json& recorded, const nlohmann::json& now) {
  // Another subcommand's journal differs in its own fields too: say that first.
  if (const auto was = recorded.find("subcommand"), is = now.find("subcommand");
      was != recorded.end() && is != now.end() && *was != *is && was->is_string() &&
      is->is_string()) {
    return "by timerbisect " + was->get<std::string>() + ", and this is timerbisect " +
           is->get<std::string>();
  }
  for (const auto& [key, value] : now.items()) {
    if (!recorded.contains(key)) return key + " (not recorded)";
    if (recorded[key] != value) {
      if (key == "program" && value.is_object() && recorded[key].is_object()) {
        return "the program " + value.value("path", std::string()) +
               " was rebuilt or replaced since: its size or modification time differs";
      }
      return key + ": " + recorded[key].dump() + " there, " + value.dump() + " here";
    }
  }
  for (const auto& [key, value] : recorded.items()) {
    if (!now.contains(key)) return key + " (recorded, not given here)";
  }
  return "";
}

constexpr const char* kHeaderKey = "timerbisect_journal";

}  // namespace

base::Expected<Journal> Journal::Open(const std::string& path, const std::string& identity) {
  auto fail = [](std::string error) { return base::Expected<Journal>::Fail(std::move(error)); };
  Journal journal;
  nlohmann::json want = nlohmann::json::parse(identity, nullptr, /*allow_exceptions=*/false);
  if (!want.is_object()) want = nlohmann::json::object();
  bool has_header = false;
  // A journal is read back by the next run and appended to: a FIFO would
  // block the read below for good, a device or directory is no journal.
  if (struct stat st; stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return fail("timerbisect: --journal " + path + ": " +
                (S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file") +
                " (the next run reads a journal back and appends to it); give a file name");
  }
  {
    std::ifstream in(path);
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (first) {
        // The first line says what run the journal belongs to. A file that
        // starts otherwise is not a journal (a --json result, a source file
        // given by mistake): appending to it would damage it.
        first = false;
        auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object() || !j.contains(kHeaderKey)) {
          return fail("timerbisect: --journal " + path +
                      " is not a journal (its first line is not the one timerbisect writes "
                      "first), and would be appended to; give a new file, or delete this one");
        }
        has_header = true;
        nlohmann::json recorded = j.value("identity", nlohmann::json::object());
        if (std::string diff = FirstDifference(recorded, want); !diff.empty()) {
          return fail("timerbisect: --journal " + path + " was recorded for another run (" + diff +
                      "); give a new file, or delete this one to start over");
        }
        continue;
      }
      auto entry = ParseLine(line);
      if (!entry) continue;  // a line cut short by a kill, or not ours
      journal.recorded_[entry->key].push_back(std::move(*entry));
      ++journal.loaded_;
    }
  }
  journal.fd_ = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (journal.fd_ < 0) {
    return fail("timerbisect: cannot open --journal " + path +
                " for appending: " + std::strerror(errno));
  }
  // A previous run killed mid-line left no newline: start on a fresh line.
  if (off_t end = lseek(journal.fd_, 0, SEEK_END); end > 0) {
    int rfd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char last = '\n';
    if (rfd >= 0) {
      if (pread(rfd, &last, 1, end - 1) != 1) last = '\n';
      close(rfd);
    }
    if (last != '\n' && write(journal.fd_, "\n", 1) != 1) {
      return fail("timerbisect: cannot write --journal " + path);
    }
  }
  if (!has_header) {
    std::string header = nlohmann::json{{kHeaderKey, 1}, {"identity", want}}.dump(
                             -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                         "\n";
    if (write(journal.fd_, header.data(), header.size()) != static_cast<ssize_t>(header.size())) {
      return fail("timerbisect: cannot write --journal " + path + ": " + std::strerror(errno));
    }
  }
  return journal;
}

Journal::Journal(Journal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      recorded_(std::move(other.recorded_)),
      loaded_(other.loaded_) {}

Journal& Journal::operator=(Journal&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    recorded_ = std::move(other.recorded_);
    loaded_ = other.loaded_;
  }
  return *this;
}

Journal::~Journal() {
  if (fd_ >= 0) close(fd_);
}

std::optional<JournalEntry> Journal::Replay(const std::string& key) {
  auto it = recorded_.find(key);
  if (it == recorded_.end() || it->second.empty()) return std::nullopt;
  JournalEntry e = std::move(it->second.front());
  it->second.pop_front();
  return e;
}

bool Journal::Append(const JournalEntry& e) {
  nlohmann::json reported = nlohmann::json::array();
  for (std::uint64_t id : e.reported) reported.push_back(protocol::IdHex(id));
  nlohmann::json j = {{"key", e.key},
                      {"pattern", e.pattern},
                      {"failed", e.failed},
                      {"kind", e.kind},
                      {"duration_ms", e.duration.count()},
                      {"reported", reported},
                      {"report", e.report}};
  if (!e.node.empty()) j["node"] = e.node;
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // One write: whole lines even if the driver is killed right after.
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace timerbisect::run
