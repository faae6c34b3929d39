// LD_PRELOAD as the driver composes it (cmd/preload.h).
#include "preload.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace timerbisect::cmd {
namespace {

TEST(Preload, TheShimIsFoundInAnyDirectoryAndEitherSeparator) {
  EXPECT_TRUE(PreloadNamesShim("/a/b/libtimerbisect.so"));
  EXPECT_TRUE(PreloadNamesShim("libm.so.6 /x/libtimerbisect.so"));
  EXPECT_TRUE(PreloadNamesShim("libm.so.6:libtimerbisect.so"));
  EXPECT_FALSE(PreloadNamesShim("/a/libtimerbisect.so.1:libm.so.6"));
  EXPECT_FALSE(PreloadNamesShim(""));
}

TEST(Preload, WithoutTheShimKeepsTheRestInOrder) {
  EXPECT_EQ(PreloadWithoutShim("/a/libtimerbisect.so libm.so.6::/b/libx.so"),
            "libm.so.6:/b/libx.so");
  EXPECT_EQ(PreloadWithoutShim("/a/libtimerbisect.so"), "");
}

TEST(Preload, RunsGetTheShimFirstThenTheEnvironmentsOthers) {
  setenv("LD_PRELOAD", "/old/libtimerbisect.so libm.so.6", 1);
  EXPECT_EQ(PreloadForRuns("/new/libtimerbisect.so"), "/new/libtimerbisect.so:libm.so.6");
  unsetenv("LD_PRELOAD");
  EXPECT_EQ(PreloadForRuns("/new/libtimerbisect.so"), "/new/libtimerbisect.so");
}

TEST(Preload, ReplacingTheShimKeepsTheOthers) {
  EXPECT_EQ(ReplaceFirstPreload("/a/libtimerbisect.so:libm.so.6", "/b/libtimerbisect.so"),
            "/b/libtimerbisect.so:libm.so.6");
  EXPECT_EQ(ReplaceFirstPreload("/a/libtimerbisect.so", "/b/libtimerbisect.so"),
            "/b/libtimerbisect.so");
}

}  // namespace
}  // namespace timerbisect::cmd
