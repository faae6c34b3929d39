// --journal: a driver killed with SIGKILL mid-search and started again with
// the same journal resumes without re-running recorded probes and reaches
// the same answer.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "files.h"

namespace timerbisect {
namespace {

using testing::LineCount;
using testing::ReadFile;

std::string Temp(const std::string& name) {
  std::string path = ::testing::TempDir() + "tb-journal-" + std::to_string(getpid()) + "-" + name;
  unlink(path.c_str());
  return path;
}

std::string Marker() {
  return "TIMERBISECT_JOURNAL_TEST=" + std::to_string(getpid());
}

// SIGKILLs every process that inherited this test's marker: the probes of
// a driver the test killed (the driver stops its own probes when it dies,
// but a test never leaves a process behind, even when that breaks).
void KillMarkedProcesses() {
  const std::string marker = Marker();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string env = ReadFile(entry.path().string() + "/environ");
    std::replace(env.begin(), env.end(), '\0', '\n');
    if (("\n" + env).find("\n" + marker + "\n") != std::string::npos) {
      kill(std::stoi(name), SIGKILL);
    }
  }
}

// Starts the driver (`subcommand`: "" for bisect) on `program` (the drain
// example) with stdout to `out` (and stderr to `out`.err), with `flags`
// before the command and `args` after it.
pid_t StartDriver(const std::string& journal, const std::string& out,
                  const std::vector<std::string>& flags = {},
                  const std::vector<std::string>& args_after = {},
                  const std::string& program = TIMERBISECT_DRAIN_EXAMPLE,
                  const std::string& subcommand = "") {
  std::vector<std::string> args = {TIMERBISECT_DRIVER};
  if (!subcommand.empty()) args.push_back(subcommand);
  for (const std::string& word :
       {std::string("-q"), std::string("--timeout"), std::string("2s"), std::string("--journal"),
        journal, std::string("--json"), out + ".json"}) {
    args.push_back(word);
  }
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back("--");
  args.push_back(program);
  args.insert(args.end(), args_after.begin(), args_after.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (out + ".err").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  // The marker the driver's probes inherit: KillMarkedProcesses finds them.
  std::vector<std::string> env_storage = {Marker()};
  for (char** e = environ; *e != nullptr; ++e) env_storage.push_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  EXPECT_EQ(posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), envp.data()), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// The JSON answer without its wall-clock duration, the one field a resumed
// run may not share with an uninterrupted one.
nlohmann::json AnswerWithoutDuration(const std::string& path) {
  nlohmann::json answer = nlohmann::json::parse(ReadFile(path), nullptr, false);
  if (answer.is_object()) answer.erase("duration_ms");
  return answer;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(DriverJournal, ResumesAfterSigkillWithoutRerunningAndSameAnswer) {
  std::string fresh_journal = Temp("fresh"), fresh_out = Temp("fresh.out");
  ASSERT_EQ(Wait(StartDriver(fresh_journal, fresh_out)), 0);
  int total = LineCount(fresh_journal);
  ASSERT_GT(total, 4);

  std::string journal = Temp("killed"), out = Temp("killed.out");
  pid_t pid = StartDriver(journal, out);
  // Kill it once a few probes are recorded (a generous wait: probes that
  // time out take 2 s each).
  for (int i = 0; i < 600 && LineCount(journal) < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  Wait(pid);
  KillMarkedProcesses();
  int recorded = LineCount(journal);
  ASSERT_GE(recorded, 3);
  ASSERT_LT(recorded, total) << "the driver finished before it could be killed";

  ASSERT_EQ(Wait(StartDriver(journal, out)), 0);
  // Every probe ran once in all: the resumed driver replayed the recorded ones.
  EXPECT_EQ(LineCount(journal), total);
  EXPECT_EQ(ReadFile(out), ReadFile(fresh_out));
  EXPECT_EQ(AnswerWithoutDuration(out + ".json"), AnswerWithoutDuration(fresh_out + ".json"));
}

// A triage stopped (SIGTERM: a CI job's timeout) during its bisection keeps
// the verdict it had already reached: its JSON and JUnit say it, with the
// bisection "interrupted"; run again with the journal, it finishes.
TEST(DriverJournal, TriageStoppedDuringItsBisectionKeepsItsVerdict) {
  std::string journal = Temp("triage"), out = Temp("triage.out"), junit = Temp("triage.xml");
  pid_t pid =
      StartDriver(journal, out, {"--junit", junit}, {}, TIMERBISECT_DRAIN_EXAMPLE, "triage");
  // The verdict is printed before the bisection starts; the bisection's
  // runs time out after 2 s each, so it is still running a moment later.
  for (int i = 0; i < 1200 && ReadFile(out).find("verdict:") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGTERM);
  int code = Wait(pid);
  KillMarkedProcesses();
  ASSERT_NE(ReadFile(out).find("verdict: timer-sensitive"), std::string::npos) << ReadFile(out);
  ASSERT_EQ(code, 128 + SIGTERM) << "the triage finished before it could be stopped";
  nlohmann::json answer = nlohmann::json::parse(ReadFile(out + ".json"));
  EXPECT_EQ(answer["verdict"], "sensitive-under-new") << answer.dump(2);
  EXPECT_EQ(answer["rates"].size(), 3u);
  EXPECT_EQ(answer["bisect"]["outcome"], "interrupted");
  EXPECT_NE(answer["bisect"]["message"].get<std::string>().find("run the same command again"),
            std::string::npos);
  const std::string xml = ReadFile(junit);
  EXPECT_NE(xml.find("name=\"timer-sensitivity\"><failure message=\"timer-sensitive"),
            std::string::npos)
      << xml;

  ASSERT_EQ(
      Wait(StartDriver(journal, out, {"--junit", junit}, {}, TIMERBISECT_DRAIN_EXAMPLE, "triage")),
      0);
  answer = nlohmann::json::parse(ReadFile(out + ".json"));
  EXPECT_EQ(answer["verdict"], "sensitive-under-new");
  EXPECT_EQ(answer["bisect"]["outcome"], "found") << answer.dump(2);
}

// The driver refuses, in one line and with exit 2, a journal recorded for
// another command or other search flags, before running anything.
TEST(DriverJournal, JournalOfAnotherCommandOrFlagsIsASetupError) {
  std::string journal = Temp("other"), out = Temp("other.out");
  ASSERT_EQ(Wait(StartDriver(journal, out)), 0);
  int recorded = LineCount(journal);
  for (const auto& [flags, args] :
       std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>{
           {{}, {"another-argument"}}, {{"--count", "2"}, {}}}) {
    EXPECT_EQ(Wait(StartDriver(journal, out, flags, args)), 2);
    std::string err = ReadFile(out + ".err");
    EXPECT_NE(err.find("was recorded for another run"), std::string::npos) << err;
    EXPECT_EQ(LineCount(out + ".err"), 1) << err;
    EXPECT_EQ(ReadFile(out), "");
    EXPECT_EQ(LineCount(journal), recorded);  // nothing ran, nothing appended
  }
}

// A journal names the program it ran: the same command line after a
// rebuild is another run (its sites' offsets moved), refused before
// anything runs; so is a file that is not a journal, which is left as it was.
TEST(DriverJournal, RebuiltProgramOrAFileThatIsNotAJournalIsASetupError) {
  std::string program = Temp("program"), journal = Temp("rebuilt"), out = Temp("rebuilt.out");
  std::filesystem::copy_file(TIMERBISECT_DRAIN_EXAMPLE, program);
  ASSERT_EQ(Wait(StartDriver(journal, out, {}, {}, program)), 0);
  int recorded = LineCount(journal);
  // "Rebuilt": the same bytes, a new modification time.
  const timespec later[2] = {{0, UTIME_OMIT}, {1'000'000'000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, program.c_str(), later, 0), 0);
  EXPECT_EQ(Wait(StartDriver(journal, out, {}, {}, program)), 2);
  std::string err = ReadFile(out + ".err");
  EXPECT_NE(err.find("the program " + program + " was rebuilt or replaced since"),
            std::string::npos)
      << err;
  EXPECT_EQ(LineCount(out + ".err"), 1) << err;
  EXPECT_EQ(LineCount(journal), recorded);

  // A --json result given as the journal by mistake.
  const std::string result = ReadFile(out + ".json");
  ASSERT_FALSE(result.empty());
  std::string not_journal = Temp("result.json");
  {
    std::ofstream f(not_journal);
    f << result;
  }
  EXPECT_EQ(Wait(StartDriver(not_journal, out)), 2);
  err = ReadFile(out + ".err");
  EXPECT_NE(err.find("is not a journal"), std::string::npos) << err;
  EXPECT_EQ(ReadFile(not_journal), result);
  unlink(program.c_str());
  unlink(not_journal.c_str());
}

// --json and --journal naming one file would overwrite one with the other.
TEST(DriverJournal, JsonAndJournalInOneFileIsASetupError) {
  std::string out = Temp("same.out");
  std::filesystem::path json = out + ".json";  // where StartDriver puts --json
  unlink(json.c_str());
  std::string same = json.parent_path().string() + "/./" + json.filename().string();
  EXPECT_EQ(Wait(StartDriver(same, out)), 2);
  std::string err = ReadFile(out + ".err");
  EXPECT_NE(err.find("--json and --journal both name"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(json));
}

}  // namespace
}  // namespace timerbisect
