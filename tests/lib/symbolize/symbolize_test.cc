// lib/symbolize against real binaries: each test program prints, for a few
// call points, the frame the shim would record (module path, offset) and the
// __LINE__s it expects; the test symbolizes the frame and compares.
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>

#include <fcntl.h>
#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "symbolize/demangle.h"
#include "symbolize/symbolizer.h"

namespace timerbisect::symbolize {
namespace {

namespace fs = std::filesystem;

const std::string kProgs = SYMBOLIZE_PROGS_SOURCE_DIR;
const std::string kChainC = kProgs + "/symbolize_chain.c";
const std::string kLibC = kProgs + "/symbolize_lib.c";
const std::string kStripped = SYMBOLIZE_STRIPPED_DIR;

// One line of a test program's output: "TAG MODULE 0xOFFSET LINE...".
struct Point {
  std::string tag;
  std::string module;
  std::uint64_t offset = 0;
  std::vector<int> lines;
};

std::vector<Point> RunProgram(const std::string& path) {
  std::vector<Point> points;
  FILE* out = popen(path.c_str(), "r");
  if (out == nullptr) {
    ADD_FAILURE() << "cannot run " << path;
    return points;
  }
  char buf[4096];
  while (std::fgets(buf, sizeof buf, out) != nullptr) {
    std::istringstream in(buf);
    Point p;
    std::string offset;
    in >> p.tag >> p.module >> offset;
    p.offset = std::stoull(offset, nullptr, 16);
    for (int line; in >> line;) p.lines.push_back(line);
    points.push_back(p);
  }
  EXPECT_EQ(pclose(out), 0) << path;
  return points;
}

Point Find(const std::vector<Point>& points, const std::string& tag) {
  for (const Point& p : points) {
    if (p.tag == tag) return p;
  }
  ADD_FAILURE() << "no call point " << tag;
  return {};
}

struct Expected {
  std::string function;
  std::string file;
  int line;
  bool inlined = false;
};

void ExpectFrames(const std::vector<SourceFrame>& got, const std::vector<Expected>& want,
                  const Point& point) {
  SCOPED_TRACE(point.tag + " " + point.module);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i) + ": " + FormatFrame(got[i]));
    EXPECT_EQ(got[i].function, want[i].function);
    EXPECT_EQ(got[i].file, want[i].file);
    EXPECT_EQ(got[i].line, want[i].line);
    EXPECT_EQ(got[i].inlined, want[i].inlined);
    EXPECT_EQ(got[i].module, point.module);
    EXPECT_EQ(got[i].offset, point.offset);
  }
}

// A one-frame lookup of a call point in a function of symbolize_chain.c.
void ExpectChainFrame(Symbolizer& s, const Point& p, const std::string& function) {
  ExpectFrames(s.Symbolize(p.module, p.offset), {{function, kChainC, p.lines.at(0)}}, p);
}

GElf_Half ElfType(const std::string& path) {
  elf_version(EV_CURRENT);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  GElf_Ehdr ehdr{};
  GElf_Half type = gelf_getehdr(elf, &ehdr) != nullptr ? ehdr.e_type : ET_NONE;
  elf_end(elf);
  close(fd);
  return type;
}

// The GNU build-id of an ELF file as lower-case hex, "" if it has none.
std::string BuildIdHex(const std::string& path) {
  elf_version(EV_CURRENT);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  const void* id = nullptr;
  ssize_t len = elf != nullptr ? dwelf_elf_gnu_build_id(elf, &id) : -1;
  std::string hex;
  for (ssize_t i = 0; i < len; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", static_cast<const unsigned char*>(id)[i]);
    hex += byte;
  }
  elf_end(elf);
  close(fd);
  return hex;
}

TEST(Symbolize, PieExecutable_ReturnAddressesGiveTheCallLine) {
  auto points = RunProgram(SYMBOLIZE_CHAIN_PIE);
  ASSERT_EQ(ElfType(SYMBOLIZE_CHAIN_PIE), ET_DYN);
  Symbolizer s;
  ExpectChainFrame(s, Find(points, "outer"), "chain_outer");
  ExpectChainFrame(s, Find(points, "inner"), "chain_inner");
  EXPECT_TRUE(s.CheckModule(SYMBOLIZE_CHAIN_PIE));
}

TEST(Symbolize, NonPieExecutable_OffsetsAreAbsoluteAddresses) {
  auto points = RunProgram(SYMBOLIZE_CHAIN_NOPIE);
  ASSERT_EQ(ElfType(SYMBOLIZE_CHAIN_NOPIE), ET_EXEC);
  Symbolizer s;
  ExpectChainFrame(s, Find(points, "outer"), "chain_outer");
  ExpectChainFrame(s, Find(points, "inner"), "chain_inner");
  Point label = Find(points, "label");
  ExpectFrames(s.Symbolize(label.module, label.offset, /*is_return_address=*/false),
               {{"main", kChainC, label.lines.at(0)}}, label);
}

TEST(Symbolize, SharedLibrary_OffsetsAreRelativeToTheLibrary) {
  auto points = RunProgram(SYMBOLIZE_CHAIN_PIE);
  ASSERT_EQ(ElfType(SYMBOLIZE_LIB), ET_DYN);
  Symbolizer s;
  for (auto [tag, function] : {std::pair{"lib_entry", "symbolize_lib_entry"},
                               std::pair{"lib_inner", "symbolize_lib_inner"}}) {
    Point p = Find(points, tag);
    EXPECT_TRUE(fs::equivalent(p.module, SYMBOLIZE_LIB)) << p.module;
    ExpectFrames(s.Symbolize(p.module, p.offset), {{function, kLibC, p.lines.at(0)}}, p);
  }
}

TEST(Symbolize, InnermostFrame_IsLookedUpAtItsOwnAddress) {
  auto points = RunProgram(SYMBOLIZE_CHAIN_PIE);
  Point label = Find(points, "label");
  Symbolizer s;
  ExpectFrames(s.Symbolize(label.module, label.offset, /*is_return_address=*/false),
               {{"main", kChainC, label.lines.at(0)}}, label);
}

TEST(Symbolize, ReturnAddressAfterLastCall_BelongsToTheCaller) {
  // chain_fatal ends with a call to a noreturn function, so its return
  // address is the first byte after it; only offset-1 is inside chain_fatal.
  auto points = RunProgram(SYMBOLIZE_CHAIN_PIE);
  Point fatal = Find(points, "fatal");
  Symbolizer s;
  ExpectChainFrame(s, fatal, "chain_fatal");
}

TEST(Symbolize, InlinedFrames_ComeBeforeTheirCallerWithTheCallLines) {
  auto points = RunProgram(SYMBOLIZE_INLINE);
  ASSERT_FALSE(points.empty());
  Symbolizer s;
  const std::string header = kProgs + "/symbolize_inline.h";
  const std::string source = kProgs + "/symbolize_inline.c";
  for (const Point& p : points) {
    ASSERT_EQ(p.lines.size(), 3u);
    ExpectFrames(s.Symbolize(p.module, p.offset),
                 {{"inline_leaf", header, p.lines[0], true},
                  {"inline_middle", header, p.lines[1], true},
                  {"inline_outer", source, p.lines[2], false}},
                 p);
  }
}

TEST(Symbolize, CxxFunctions_AreDemangledAndQualified) {
  auto points = RunProgram(SYMBOLIZE_CXX);
  Symbolizer s;
  const std::string source = kProgs + "/symbolize_cxx.cc";
  Point tick = Find(points, "tick");
  ExpectFrames(s.Symbolize(tick.module, tick.offset),
               {{"tbsym::Clock::Tick(int)", source, tick.lines.at(0)}}, tick);
  Point arm = Find(points, "arm");
  ExpectFrames(s.Symbolize(arm.module, arm.offset),
               {{"void tbsym::Arm<long>(long)", source, arm.lines.at(0)}}, arm);
}

TEST(Symbolize, CxxInternalLinkage_NamesAreQualifiedToo) {
  // GCC emits no linkage name for functions in an anonymous namespace, so
  // the qualification comes from the DIE tree (and the parameter types, for
  // an out-of-line function, from the symbol table).
  auto points = RunProgram(SYMBOLIZE_CXX);
  Symbolizer s;
  const std::string source = kProgs + "/symbolize_cxx.cc";
  Point helper = Find(points, "helper");
  ExpectFrames(s.Symbolize(helper.module, helper.offset),
               {{"tbsym::(anonymous namespace)::Helper(int)", source, helper.lines.at(0)}}, helper);

  Point inlined = Find(points, "inline_helper");
  auto frames = s.Symbolize(inlined.module, inlined.offset);
  ASSERT_EQ(frames.size(), 2u);
  // An inlined frame has only DWARF's name: with parameter types when the
  // compiler emitted a linkage name (clang does), without (GCC).
  const std::string inline_name = "tbsym::(anonymous namespace)::InlineHelper";
  EXPECT_TRUE(frames[0].function == inline_name || frames[0].function == inline_name + "(int)")
      << frames[0].function;
  frames[0].function = inline_name;
  ExpectFrames(frames,
               {{inline_name, source, inlined.lines.at(0), true},
                {"tbsym::Clock::Tick(int)", source, inlined.lines.at(1)}},
               inlined);
}

// An inlined lambda is named with its function, not as a bare
// "operator()" (GCC gives its closure type no name: audit 28).
TEST(Symbolize, CxxInlinedLambda_IsNamedWithItsFunction) {
  auto points = RunProgram(SYMBOLIZE_CXX);
  Symbolizer s;
  const std::string source = kProgs + "/symbolize_cxx.cc";
  Point lambda = Find(points, "inline_lambda");
  auto frames = s.Symbolize(lambda.module, lambda.offset);
  ASSERT_EQ(frames.size(), 2u);
  // clang names the closure type and gives a linkage name; GCC neither.
  EXPECT_NE(frames[0].function.find("tbsym::Clock::Tick(int)::"), std::string::npos)
      << frames[0].function;
  EXPECT_NE(frames[0].function.find("operator()"), std::string::npos) << frames[0].function;
  frames[0].function = "lambda";
  ExpectFrames(frames,
               {{"lambda", source, lambda.lines.at(0), true},
                {"tbsym::Clock::Tick(int)", source, lambda.lines.at(1)}},
               lambda);
}

TEST(Symbolize, StrippedWithDebuglink_ReadsTheSeparateDebugFile) {
  const std::string prog = kStripped + "/symbolize_chain_debuglink";
  auto points = RunProgram(prog);
  Symbolizer s;
  ExpectChainFrame(s, Find(points, "outer"), "chain_outer");
  ExpectChainFrame(s, Find(points, "inner"), "chain_inner");
}

TEST(Symbolize, NoAddressRangeTable_FindsTheCompileUnitByItsRanges) {
  const std::string prog = kStripped + "/symbolize_chain_noaranges";
  auto points = RunProgram(prog);
  Symbolizer s;
  ExpectChainFrame(s, Find(points, "outer"), "chain_outer");
  ExpectChainFrame(s, Find(points, "inner"), "chain_inner");
  Point label = Find(points, "label");
  ExpectFrames(s.Symbolize(label.module, label.offset, /*is_return_address=*/false),
               {{"main", kChainC, label.lines.at(0)}}, label);
}

TEST(Symbolize, FullyStripped_HasNoFunctionOrFile) {
  const std::string prog = kStripped + "/symbolize_chain_stripped";
  auto points = RunProgram(prog);
  Symbolizer s;
  Point inner = Find(points, "inner");
  ExpectFrames(s.Symbolize(inner.module, inner.offset), {{"", "", 0}}, inner);
  EXPECT_TRUE(s.CheckModule(prog));
}

TEST(Symbolize, FullyStrippedExported_NamesFunctionsFromDynsym) {
  const std::string prog = kStripped + "/symbolize_chain_exported_stripped";
  auto points = RunProgram(prog);
  Symbolizer s;
  for (auto [tag, function] : {std::pair{"outer", "chain_outer"}, std::pair{"inner", "chain_inner"},
                               std::pair{"fatal", "chain_fatal"}}) {
    Point p = Find(points, tag);
    ExpectFrames(s.Symbolize(p.module, p.offset), {{function, "", 0}}, p);
  }
}

TEST(Symbolize, StrippedWithBuildIdDebugFile_FindsItUnderDebuginfoPath) {
  const std::string prog = kStripped + "/symbolize_chain_stripped";
  const std::string debug = kStripped + "/symbolize_chain_debuglink.debug";
  std::string id = BuildIdHex(prog);
  ASSERT_GE(id.size(), 4u) << "the test program has no build-id";
  ASSERT_EQ(BuildIdHex(debug), id);

  // /usr/lib/debug laid out by hand: .build-id/xx/yyyy.debug.
  std::string root_template = testing::TempDir() + "symbolize_debug_XXXXXX";
  ASSERT_NE(mkdtemp(root_template.data()), nullptr);
  fs::path root = root_template;
  fs::path linked = root / ".build-id" / id.substr(0, 2) / (id.substr(2) + ".debug");
  fs::create_directories(linked.parent_path());
  fs::copy_file(debug, linked);

  auto points = RunProgram(prog);
  Symbolizer s(SymbolizerOptions{.debuginfo_path = root.string()});
  ExpectChainFrame(s, Find(points, "outer"), "chain_outer");
  ExpectChainFrame(s, Find(points, "inner"), "chain_inner");
  fs::remove_all(root);
}

TEST(Symbolize, MissingModule_IsAnErrorAndAnUnknownFrame) {
  Symbolizer s;
  const std::string missing = "/nonexistent/timerbisect/libgone.so";
  auto frames = s.Symbolize(missing, 0x1234);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "");
  EXPECT_EQ(frames[0].file, "");
  EXPECT_EQ(FormatFrame(frames[0]), missing + "+0x1234");
  EXPECT_EQ(s.CheckModule(missing).error(),
            "cannot open " + missing + ": No such file or directory");
}

TEST(Symbolize, NotAnElfFile_IsAnError) {
  Symbolizer s;
  EXPECT_EQ(s.CheckModule(kChainC).error(), "cannot open " + kChainC + ": not a valid ELF file");
  EXPECT_EQ(s.CheckModule(kProgs).error(), "cannot open " + kProgs + ": not a regular file");
  auto frames = s.Symbolize(kChainC, 0x10);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "");
}

TEST(Symbolize, RepeatedLookups_OpenEachModuleOnceAndAgree) {
  auto points = RunProgram(SYMBOLIZE_CHAIN_PIE);
  Symbolizer s;
  std::vector<std::vector<SourceFrame>> first;
  for (const Point& p : points) first.push_back(s.Symbolize(p.module, p.offset));
  for (int round = 0; round < 100; ++round) {
    for (size_t i = 0; i < points.size(); ++i) {
      auto again = s.Symbolize(points[i].module, points[i].offset);
      ASSERT_EQ(again.size(), first[i].size());
      EXPECT_EQ(FormatFrame(again[0]), FormatFrame(first[i][0]));
    }
  }
  EXPECT_EQ(s.cached_modules(), 2u);  // the executable and libsymbolize_lib.so
}

TEST(FormatFrame, PicksTheMostPreciseForm) {
  SourceFrame f{.function = "chain_inner",
                .file = "/src/a.c",
                .line = 9,
                .module = "/bin/x",
                .offset = 0x14b9};
  EXPECT_EQ(FormatFrame(f), "chain_inner /src/a.c:9");
  f.line = 0;
  EXPECT_EQ(FormatFrame(f), "chain_inner /src/a.c");
  f.note = "a note";
  EXPECT_EQ(FormatFrame(f), "chain_inner /src/a.c (a note)");
  f.note = "";
  f.file = "";
  EXPECT_EQ(FormatFrame(f), "chain_inner");
  f.function = "";
  EXPECT_EQ(FormatFrame(f), "/bin/x+0x14b9");
  f.file = "/src/a.c";
  f.line = 3;
  EXPECT_EQ(FormatFrame(f), "/bin/x+0x14b9 /src/a.c:3");
}

// Sites whose stacks print alike get their columns, and where those are
// alike too (a loop the compiler unrolled: one column, several calls),
// the offsets of their frames (audit 24: four sites printed the same).
TEST(StacksDetail, RaisesDetailOnlyUntilStacksDiffer) {
  SourceFrame unrolled{.function = "sites",
                       .file = "/src/uv1.c",
                       .line = 27,
                       .column = 31,
                       .module = "/bin/x",
                       .offset = 0x1200};
  SourceFrame unrolled2 = unrolled;
  unrolled2.offset = 0x1210;
  SourceFrame same_line = unrolled;
  same_line.column = 9;
  same_line.offset = 0x1300;
  SourceFrame elsewhere = unrolled;
  elsewhere.line = 40;
  std::vector<SourceFrame> a{unrolled}, b{unrolled2}, c{same_line}, d{elsewhere};
  std::vector<FrameDetail> detail = StacksDetail({&a, &b, &c, &d});
  EXPECT_EQ(detail, (std::vector<FrameDetail>{FrameDetail::kAddress, FrameDetail::kAddress,
                                              FrameDetail::kColumn, FrameDetail::kLine}));
  EXPECT_EQ(FormatFrame(unrolled, FrameDetail::kAddress), "sites /src/uv1.c:27:31 [+0x1200]");
  EXPECT_EQ(FormatFrame(same_line, FrameDetail::kColumn), "sites /src/uv1.c:27:9");
  EXPECT_EQ(FormatFrame(elsewhere, FrameDetail::kLine), "sites /src/uv1.c:40");
}

TEST(Demangle, OnlyMangledNamesChange) {
  EXPECT_EQ(Demangle("_ZN5tbsym5Clock4TickEi"), "tbsym::Clock::Tick(int)");
  EXPECT_EQ(Demangle("chain_inner"), "chain_inner");
  EXPECT_EQ(Demangle("_Znot_really_mangled"), "_Znot_really_mangled");
  EXPECT_EQ(Demangle(nullptr), "");
}

}  // namespace
}  // namespace timerbisect::symbolize
