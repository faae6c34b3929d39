// lib/protocol/plain_alternation.h: a scope of plain names matches exactly
// as re2's PartialMatch does (compared on random patterns and texts), and
// every other syntax is left to re2.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>

#include "protocol/plain_alternation.h"

namespace timerbisect::protocol {
namespace {

TEST(PlainAlternation, NamesJoinedByBarsAreMatchedAnywhere) {
  PlainAlternation p;
  ASSERT_TRUE(p.Parse("flaky_timer_test|libfoo.so"));
  EXPECT_TRUE(p.PartialMatch("/build/flaky_timer_test"));
  EXPECT_TRUE(p.PartialMatch("/usr/lib/libfooXso.1"));  // '.' is any character
  EXPECT_FALSE(p.PartialMatch("/usr/lib/libbar.so"));
  ASSERT_TRUE(p.Parse("libfoo\\.so"));
  EXPECT_FALSE(p.PartialMatch("/usr/lib/libfooXso.1"));
  EXPECT_TRUE(p.PartialMatch("/usr/lib/libfoo.so.1"));
}

TEST(PlainAlternation, OtherSyntaxIsLeftToRe2) {
  for (const char* regex :
       {"a*", "^main", "main$", "(a)", "[ab]", "a+", "a?", "a{2}", "\\d", "\\w", "a\\", "\\a"}) {
    PlainAlternation p;
    EXPECT_FALSE(p.Parse(regex)) << regex;
    EXPECT_FALSE(p.valid()) << regex;
    EXPECT_FALSE(p.PartialMatch("a")) << regex;
  }
  PlainAlternation p;
  EXPECT_FALSE(p.Parse(std::string(600, 'a')));  // beyond its buffer
}

// Random patterns of the plain grammar against random texts (ASCII,
// newlines, two- and three-byte UTF-8): the same answer as re2's.
TEST(PlainAlternation, AgreesWithRe2) {
  std::mt19937 rng(20261206);
  const std::vector<std::string> pattern_atoms = {"a",   "b", "_", "/",   ".",   ".", "|",
                                                  "\\.", "-", " ", "\\+", "\\(", "x"};
  const std::vector<std::string> text_atoms = {"a", "b", "_", "/",  ".",        "-",           " ",
                                               "+", "(", "x", "\n", "\xc3\xa9", "\xe2\x82\xac"};
  int compared = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string pattern, text;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 5); i < n; ++i) {
      pattern += pattern_atoms[rng() % pattern_atoms.size()];
    }
    for (int i = 0, n = static_cast<int>(rng() % 8); i < n; ++i) {
      text += text_atoms[rng() % text_atoms.size()];
    }
    PlainAlternation p;
    ASSERT_TRUE(p.Parse(pattern)) << pattern;
    RE2 re(pattern);
    ASSERT_TRUE(re.ok()) << pattern;
    ASSERT_EQ(p.PartialMatch(text), RE2::PartialMatch(text, re))
        << "pattern \"" << pattern << "\" text \"" << text << "\"";
    ++compared;
  }
  EXPECT_EQ(compared, 20000);
}

}  // namespace
}  // namespace timerbisect::protocol
