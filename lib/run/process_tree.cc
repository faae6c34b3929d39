#include "run/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace timerbisect::run {
namespace {

struct Links {
  pid_t parent = 0;
  pid_t group = 0;
};

// pid -> (parent, group) of every process /proc shows now.
std::unordered_map<pid_t, Links> ReadLinks() {
  std::unordered_map<pid_t, Links> links;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return links;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // gone already
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) continue;
    buf[n] = '\0';
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'.
    char* close_paren = std::strrchr(buf, ')');
    if (close_paren == nullptr) continue;
    char state = 0;
    long parent = 0, group = 0;
    if (std::sscanf(close_paren + 1, " %c %ld %ld", &state, &parent, &group) != 3) continue;
    links[static_cast<pid_t>(pid)] = {static_cast<pid_t>(parent), static_cast<pid_t>(group)};
  }
  closedir(proc);
  return links;
}

bool Below(pid_t pid, pid_t leader, const std::unordered_map<pid_t, Links>& links) {
  // Bounded: a pid reused while we read could make a cycle.
  for (int hops = 0; hops < 4096 && pid > 1; ++hops) {
    if (pid == leader) return true;
    auto it = links.find(pid);
    if (it == links.end()) return false;
    pid = it->second.parent;
  }
  return false;
}

}  // namespace

void KillProcessTree(pid_t leader) {
  std::unordered_set<pid_t> stopped;
  const pid_t self = getpid();
  // A process the last pass had not seen may have been forked before its
  // parent stopped; a pass that finds nothing new ends the gathering.
  for (int pass = 0; pass < 16; ++pass) {
    bool found = false;
    auto links = ReadLinks();
    for (const auto& [pid, link] : links) {
      if (pid == self || stopped.count(pid) != 0) continue;
      if (link.group != leader && !Below(pid, leader, links)) continue;
      kill(pid, SIGSTOP);
      stopped.insert(pid);
      found = true;
    }
    if (!found) break;
  }
  kill(-leader, SIGKILL);
  for (pid_t pid : stopped) kill(pid, SIGKILL);
}

}  // namespace timerbisect::run
