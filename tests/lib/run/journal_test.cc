// The journal (--journal) as a file: the run it belongs to, a line cut
// short by a kill, where a probe ran, and a path it cannot open. The driver
// resuming from one is tests/driver/driver_journal_test.cc.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "process_support.h"
#include "run/journal.h"

namespace timerbisect::run {
namespace {

TEST(Journal, IgnoresALineCutShortAndAppendsOnAFreshLine) {
  TempDir dir;
  std::string path = (dir.path() / "cut").string();
  {
    std::ofstream f(path);
    f << R"({"timerbisect_journal":1,"identity":{}})"
      << "\n"
      << R"({"key":"y","pattern":"y","failed":true,"kind":"exit 1","reported":["0x65a"]})"
      << "\n"
      << R"({"key":"n","pattern":"n","fai)";
  }
  auto journal = Journal::Open(path, "{}");
  ASSERT_TRUE(journal) << journal.error();
  EXPECT_EQ(journal->loaded(), 1);
  auto y = journal->Replay("y");
  ASSERT_TRUE(y);
  EXPECT_TRUE(y->failed);
  ASSERT_EQ(y->reported.size(), 1u);
  EXPECT_EQ(y->reported[0], 0x65au);
  EXPECT_FALSE(journal->Replay("y"));  // replayed once, as recorded
  EXPECT_FALSE(journal->Replay("n"));
  // Where it ran (a remote launcher's node) is kept.
  ASSERT_TRUE(journal->Append({"n", "n", false, "pass", {}, {}, "", "n17"}));
  auto again = Journal::Open(path, "{}");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->loaded(), 2);
  auto n = again->Replay("n");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->node, "n17");
}

TEST(Journal, RecordedForAnotherRunIsRefusedNamingWhatDiffers) {
  TempDir dir;
  std::string path = (dir.path() / "identity").string();
  {
    auto journal = Journal::Open(path, R"({"command":["a"],"count":1})");
    ASSERT_TRUE(journal) << journal.error();
    ASSERT_TRUE(journal->Append({"y", "y", true, "exit 1", {}, {}, "", ""}));
  }
  auto same = Journal::Open(path, R"({"command":["a"],"count":1})");
  ASSERT_TRUE(same) << same.error();
  EXPECT_EQ(same->loaded(), 1);
  auto other_command = Journal::Open(path, R"({"command":["b"],"count":1})");
  ASSERT_FALSE(other_command);
  const std::string& error = other_command.error();
  EXPECT_NE(error.find("was recorded for another run (command: "), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  auto other_count = Journal::Open(path, R"({"command":["a"],"count":2})");
  ASSERT_FALSE(other_count);
  EXPECT_NE(other_count.error().find("count"), std::string::npos) << other_count.error();
}

// A bisect journal given to triage differs in triage's own fields too
// ("budget (not recorded)" was the first difference named): the
// subcommand is named first.
TEST(Journal, AnotherSubcommandsJournalIsNamedAsSuch) {
  TempDir dir;
  std::string path = (dir.path() / "bisect").string();
  ASSERT_TRUE(Journal::Open(path, R"({"command":["a"],"subcommand":"bisect"})"));
  auto triage = Journal::Open(path, R"({"budget":60,"command":["a"],"subcommand":"triage"})");
  ASSERT_FALSE(triage);
  EXPECT_EQ(triage.error(), "timerbisect: --journal " + path +
                                " was recorded for another run (by timerbisect bisect, and this is "
                                "timerbisect triage); give a new file, or delete this one to start "
                                "over");
}

// A file that does not start with the identity line is refused and left as
// it was: probes without it (an older timerbisect's), a --json result, a
// source file given by mistake.
TEST(Journal, FileThatIsNotAJournalIsRefusedAndLeftAlone) {
  TempDir dir;
  const std::string contents[] = {
      R"({"key":"y","pattern":"y","failed":true,"kind":"exit 1","reported":[]})"
      "\n",
      R"({"schema_version":1,"outcome":"found","sets":[]})"
      "\n",
      "int main() { return 0; }\n", "\n\ngarbage\n"};
  int i = 0;
  for (const std::string& text : contents) {
    std::string path = (dir.path() / ("other" + std::to_string(i++))).string();
    {
      std::ofstream f(path);
      f << text;
    }
    auto other = Journal::Open(path, "{}");
    ASSERT_FALSE(other) << text;
    EXPECT_NE(other.error().find("is not a journal"), std::string::npos) << other.error();
    EXPECT_EQ(other.error().find('\n'), std::string::npos) << other.error();
    std::ifstream in(path);
    std::string now((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(now, text);
  }
}

TEST(Journal, ARebuiltProgramIsNamed) {
  TempDir dir;
  std::string path = (dir.path() / "program").string();
  ASSERT_TRUE(Journal::Open(path, R"({"program":{"path":"./t","size":1,"mtime_ns":2}})"));
  auto rebuilt = Journal::Open(path, R"({"program":{"path":"./t","size":1,"mtime_ns":3}})");
  ASSERT_FALSE(rebuilt);
  EXPECT_NE(rebuilt.error().find("the program ./t was rebuilt or replaced since"),
            std::string::npos)
      << rebuilt.error();
}

TEST(Journal, UnwritablePathIsAOneLineError) {
  auto unwritable = Journal::Open("/nonexistent-dir/journal", "{}");
  ASSERT_FALSE(unwritable);
  EXPECT_NE(unwritable.error().find("cannot open --journal /nonexistent-dir/journal"),
            std::string::npos);
}

// A FIFO blocked the driver for good, silently, in the read that loads
// the journal: anything but a regular file is refused at once.
TEST(Journal, FifoOrDirectoryIsRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = (dir.path() / "fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto refused = Journal::Open(fifo, "{}");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "timerbisect: --journal " + fifo +
                                 ": is not a regular file (the next run reads a journal back and "
                                 "appends to it); give a file name");
  auto directory = Journal::Open(dir.path().string(), "{}");
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().find(": is a directory ("), std::string::npos) << directory.error();
}

}  // namespace
}  // namespace timerbisect::run
