// lib/report/format.h: the counts, lists, shell words and frames every
// report formats the same way.
#include <gtest/gtest.h>

#include <string>

#include "report/format.h"

namespace timerbisect::report {
namespace {

TEST(Plural, OneIsSingularEverythingElsePlural) {
  EXPECT_EQ(Plural(0, "site"), "0 sites");
  EXPECT_EQ(Plural(1, "site"), "1 site");
  EXPECT_EQ(Plural(2, "timer site"), "2 timer sites");
  EXPECT_EQ(Plural(18446744073709551615ull, "run"), "18446744073709551615 runs");
}

TEST(Join, SeparatesOnlyBetweenWords) {
  EXPECT_EQ(Join({}, ", "), "");
  EXPECT_EQ(Join({"stale"}, ", "), "stale");
  EXPECT_EQ(Join({"stale", "latency", ""}, ", "), "stale, latency, ");
}

TEST(ShellQuote, LeavesPlainWordsAlone) {
  EXPECT_EQ(ShellQuote("build/examples/drain_after_disarm"), "build/examples/drain_after_disarm");
  EXPECT_EQ(ShellQuote("new#x741113b201ea676f"), "new#x741113b201ea676f");
  EXPECT_EQ(ShellQuote("a,b+c@d%e_f"), "a,b+c@d%e_f");
}

TEST(ShellQuote, QuotesWhatTheShellWouldChange) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("two words"), "'two words'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
  EXPECT_EQ(ShellQuote("say \"hi\""), "'say \"hi\"'");
  EXPECT_EQ(ShellQuote("back\\slash"), "'back\\slash'");
  EXPECT_EQ(ShellQuote("a;b|c&d"), "'a;b|c&d'");
  EXPECT_EQ(ShellQuote("~user"), "'~user'");
  EXPECT_EQ(ShellQuote("--gtest_filter=A.B:C.*-D"), "'--gtest_filter=A.B:C.*-D'");  // a glob
  EXPECT_EQ(ShellQuote("tab\there"), "'tab\there'");
  EXPECT_EQ(ShellQuote("line\nbreak"), "'line\nbreak'");
}

// A word that starts a comment, and a '!' that bash (the shell a user
// pastes the line into) expands from its history even mid-word.
TEST(ShellQuote, QuotesACommentAndHistoryExpansion) {
  EXPECT_EQ(ShellQuote("#1"), "'#1'");
  EXPECT_EQ(ShellQuote("#"), "'#'");
  EXPECT_EQ(ShellQuote("a!b"), "'a!b'");
  EXPECT_EQ(ShellQuote("!"), "'!'");
  EXPECT_EQ(ShellQuote("new#x65a"), "new#x65a");  // '#' inside a word is no comment
}

// After NAME= a '#' is inside the word; the rest is quoted as ShellQuote.
TEST(ShellAssignment, QuotesTheValueAsAPartOfTheWord) {
  EXPECT_EQ(ShellAssignment("CHANGES_BISECT", "#x65a"), "CHANGES_BISECT=#x65a");
  EXPECT_EQ(ShellAssignment("TIMERSEM", "new#x65a"), "TIMERSEM=new#x65a");
  EXPECT_EQ(ShellAssignment("D", "!x65a"), "D='!x65a'");
  EXPECT_EQ(ShellAssignment("E", ""), "E=''");
  EXPECT_EQ(ShellAssignment("F", "it's $HOME"), "F='it'\\''s $HOME'");
}

TEST(ShellQuote, EndsAndReopensTheQuoteAroundASingleQuote) {
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("'"), "''\\'''");
  EXPECT_EQ(ShellQuote("$x 'y'"), "'$x '\\''y'\\'''");
}

TEST(FrameJson, HasEveryFieldAndTheOffsetInHex) {
  symbolize::SourceFrame f = {.function = "ns::Arm(int)",
                              .file = "src/arm.cc",
                              .line = 42,
                              .column = 7,
                              .inlined = true,
                              .module = "/opt/app/bin/app",
                              .offset = 0x1a2b};
  nlohmann::json j = FrameJson(f);
  EXPECT_EQ(j.dump(),
            R"j({"column":7,"file":"src/arm.cc","function":"ns::Arm(int)","inlined":true,)j"
            R"j("line":42,"module":"/opt/app/bin/app","offset":"0x0000000000001a2b"})j");
  nlohmann::json unknown = FrameJson(symbolize::SourceFrame{});
  EXPECT_EQ(unknown.dump(),
            R"({"column":0,"file":"","function":"","inlined":false,"line":0,"module":"",)"
            R"("offset":"0x0000000000000000"})");
  f.note = "the timer's callback";  // a key only when there is one
  EXPECT_EQ(FrameJson(f)["note"], "the timer's callback");
  EXPECT_FALSE(j.contains("note"));
}

// A target's output is any bytes: --json still writes a document.
TEST(JsonDocument, ReplacesBytesThatAreNotUtf8) {
  nlohmann::json j = {{"line", std::string("ok \xff\xfe end")}};
  EXPECT_THROW((void)j.dump(2), nlohmann::json::type_error);
  EXPECT_EQ(JsonDocument(j), "{\n  \"line\": \"ok \xef\xbf\xbd\xef\xbf\xbd end\"\n}\n");
}

}  // namespace
}  // namespace timerbisect::report
