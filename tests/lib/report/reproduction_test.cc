// lib/report/reproduction.h: a set's reproduction as data, the shell line
// rendered from it, and its JSON read back.
#include <gtest/gtest.h>

#include <string>

#include "report/reproduction.h"

namespace timerbisect::report {
namespace {

Reproduction Shim() {
  return {{{"TIMERSEM", "new#x741113b201ea676f"}, {"LD_PRELOAD", "/opt/tb/lib/libtimerbisect.so"}},
          {"build/examples/drain_after_disarm"},
          false};
}

TEST(ShellLine, SetsTheVariablesBeforeTheCommand) {
  EXPECT_EQ(ShellLine(Shim()),
            "TIMERSEM=new#x741113b201ea676f LD_PRELOAD=/opt/tb/lib/libtimerbisect.so "
            "build/examples/drain_after_disarm");
}

TEST(ShellLine, QuotesValuesAndWordsWithSpacesQuotesAndDollars) {
  Reproduction r{{{"TIMERSEM", "new#x65a"}, {"OPTS", "--a b"}, {"HOME", "$HOME/x"}},
                 {"./my test", "it's", "say \"hi\"", "$PATH", ""},
                 false};
  EXPECT_EQ(ShellLine(r),
            "TIMERSEM=new#x65a OPTS='--a b' HOME='$HOME/x' './my test' 'it'\\''s' "
            "'say \"hi\"' '$PATH' ''");
}

TEST(ShellLine, AShellCommandIsOneScriptUnderEnv) {
  Reproduction r{{{"TIMERSEM", "old#1"}, {"GO", "it's $HOME"}},
                 {"make", "test", "&&", "echo", "'done'"},
                 true};
  // The words are joined as the driver's sh -c ran them, then quoted once.
  EXPECT_EQ(ShellLine(r),
            "env TIMERSEM=old#1 GO='it'\\''s $HOME' sh -c 'make test && echo '\\''done'\\'''");
  r.env.clear();
  EXPECT_EQ(ShellLine(r), "sh -c 'make test && echo '\\''done'\\'''");
}

// Behind --launcher the variables go through env, so srun (or ssh, or
// kubectl) passes them to where the command runs instead of taking them
// itself: LD_PRELOAD on srun would preload the shim into srun.
TEST(ShellLine, BehindALauncherTheVariablesGoThroughEnv) {
  Reproduction r = Shim();
  r.launcher = {"srun", "--ntasks=1", "--partition=debug q"};
  EXPECT_EQ(ShellLine(r),
            "srun --ntasks=1 '--partition=debug q' env TIMERSEM=new#x741113b201ea676f "
            "LD_PRELOAD=/opt/tb/lib/libtimerbisect.so build/examples/drain_after_disarm");
  r.shell = true;
  r.argv = {"make", "test"};
  EXPECT_EQ(ShellLine(r),
            "srun --ntasks=1 '--partition=debug q' env TIMERSEM=new#x741113b201ea676f "
            "LD_PRELOAD=/opt/tb/lib/libtimerbisect.so sh -c 'make test'");
  r.env.clear();
  EXPECT_EQ(ShellLine(r), "srun --ntasks=1 '--partition=debug q' sh -c 'make test'");
}

TEST(ShellLine, APatternValueMayStartWithAHashButAWordMayNot) {
  Reproduction r{{{"MYTOOL_BISECT", "#x0000000000000007"}, {"GODEBUG", "x=!x65a"}},
                 {"./t", "#1", "-d=!x65a"},
                 false};
  EXPECT_EQ(ShellLine(r), "MYTOOL_BISECT=#x0000000000000007 GODEBUG='x=!x65a' ./t '#1' '-d=!x65a'");
}

TEST(ShellLine, NoVariablesNoCommand) {
  EXPECT_EQ(ShellLine({}), "");
  EXPECT_EQ(ShellLine({{}, {"true"}, false}), "true");
  EXPECT_EQ(ShellLine({{{"A", "1"}}, {}, false}), "A=1");
}

TEST(Reproduction, FindsAVariableByName) {
  Reproduction r = Shim();
  ASSERT_NE(r.Find("LD_PRELOAD"), nullptr);
  EXPECT_EQ(*r.Find("LD_PRELOAD"), "/opt/tb/lib/libtimerbisect.so");
  EXPECT_EQ(r.Find("TIMERSEM_ASPECTS"), nullptr);
  EXPECT_EQ(r.Find("timersem"), nullptr);  // names are case-sensitive
}

TEST(ReproductionJson, IsTheDataNotTheLine) {
  Reproduction r{{{"TIMERSEM", "new#x65a"}, {"X", "a 'b' $c"}}, {"sh -c", "x\"y"}, true};
  EXPECT_EQ(ToJson(r).dump(),
            R"({"argv":["sh -c","x\"y"],"env":[["TIMERSEM","new#x65a"],["X","a 'b' $c"]],)"
            R"("shell":true})");
  EXPECT_EQ(ToJson(Reproduction{}).dump(), R"({"argv":[],"env":[],"shell":false})");
}

TEST(ReproductionJson, ReadsBackWhatItWrote) {
  Reproduction r{{{"TIMERSEM", "new#x65a"}, {"X", "a 'b' $c"}, {"E", ""}}, {"./t", "", "$1"}, true};
  auto back = ReproductionFromJson(ToJson(r));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, r);
  r.launcher = {"kubectl", "exec", "pod", "--"};
  EXPECT_EQ(ToJson(r)["launcher"], nlohmann::json({"kubectl", "exec", "pod", "--"}));
  back = ReproductionFromJson(ToJson(r));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, r);
  auto empty = ReproductionFromJson(ToJson(Reproduction{}));
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_EQ(*empty, Reproduction{});
}

TEST(ReproductionJson, ShellDefaultsToFalse) {
  auto r = ReproductionFromJson(nlohmann::json::parse(R"({"env":[["A","1"]],"argv":["t"]})"));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, (Reproduction{{{"A", "1"}}, {"t"}, false}));
}

TEST(ReproductionJson, SaysWhatIsWrong) {
  const std::string shape =
      R"(expected {"env": [[name, value], ...], "argv": [...], "shell": bool})";
  for (const char* text : {R"([])", R"("TIMERSEM=y ./t")", R"({"argv":["t"]})", R"({"env":[]})",
                           R"({"env":{},"argv":[]})", R"({"env":[],"argv":"t"})"}) {
    auto r = ReproductionFromJson(nlohmann::json::parse(text));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error(), shape) << text;
  }
  for (const char* text : {R"({"env":[["A"]],"argv":[]})", R"({"env":[["A","1","2"]],"argv":[]})",
                           R"({"env":[["A",1]],"argv":[]})", R"({"env":["A=1"],"argv":[]})"}) {
    auto r = ReproductionFromJson(nlohmann::json::parse(text));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error(), "an \"env\" entry is not a [name, value] pair of strings") << text;
  }
  auto r = ReproductionFromJson(nlohmann::json::parse(R"({"env":[],"argv":["t",2]})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "an \"argv\" word is not a string");
  r = ReproductionFromJson(nlohmann::json::parse(R"({"env":[],"argv":[],"launcher":"srun"})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "\"launcher\" is not a list of words");
  r = ReproductionFromJson(nlohmann::json::parse(R"({"env":[],"argv":[],"launcher":[1]})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "a \"launcher\" word is not a string");
}

TEST(ReproductionJson, AShellThatIsNotABoolIsAnErrorNotAnException) {
  for (const char* text :
       {R"({"env":[],"argv":[],"shell":"yes"})", R"({"env":[],"argv":[],"shell":1})",
        R"({"env":[],"argv":[],"shell":null})"}) {
    auto r = ReproductionFromJson(nlohmann::json::parse(text));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error(), "\"shell\" is not true or false") << text;
  }
}

}  // namespace
}  // namespace timerbisect::report
