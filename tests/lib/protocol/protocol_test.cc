// Behaviour of the protocol layer beyond the golden tables: error positions,
// the pattern builder's round trip, marker formatting.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "protocol/hash.h"
#include "protocol/marker.h"
#include "protocol/matcher.h"
#include "protocol/pattern.h"

namespace timerbisect::protocol {
namespace {

TEST(Matcher, EmptyPatternIsNotUnderBisect) {
  auto m = Matcher::Parse("");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->active());
  EXPECT_TRUE(m->ShouldEnable(0x65a));
  EXPECT_FALSE(m->ShouldReport(0x65a));
}

TEST(Matcher, ErrorNamesThePosition) {
  ParseError e;
  EXPECT_FALSE(Matcher::Parse("+01-1+1", &e));
  EXPECT_EQ(e.position, 5u);
  EXPECT_EQ(e.Message("+01-1+1"),
            "bad pattern \"+01-1+1\": '+' after '-' (all + terms must come first) at position 5");

  EXPECT_FALSE(Matcher::Parse("v!0120", &e));
  EXPECT_EQ(e.position, 4u);
  EXPECT_NE(e.reason.find("'2'"), std::string::npos);

  EXPECT_FALSE(Matcher::Parse("vv", &e));
  EXPECT_EQ(e.position, 2u);

  EXPECT_FALSE(Matcher::Parse("x12345678901234567", &e));
  EXPECT_EQ(e.reason, "term longer than 64 bits");
}

TEST(Matcher, SuffixSemantics) {
  auto m = Matcher::Parse("01+10-1001");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->ShouldEnable(0b01));
  EXPECT_TRUE(m->ShouldEnable(0b110));
  EXPECT_FALSE(m->ShouldEnable(0b1001));
  EXPECT_FALSE(m->ShouldEnable(0b11));
  auto inv = Matcher::Parse("!01");
  ASSERT_TRUE(inv);
  EXPECT_FALSE(inv->ShouldEnable(0b01));
  EXPECT_TRUE(inv->ShouldReport(0b01));
  EXPECT_TRUE(inv->ShouldEnable(0b10));
  EXPECT_FALSE(inv->ShouldReport(0b10));
}

// Go's standard library (internal/bisect) reads a leading 'q' as "report
// nothing", for patterns set by hand ("qn": everything off, silently); a
// 'v' after it undoes it. The x/tools reference has no 'q', so no golden
// row covers it.
TEST(Matcher, LeadingQIsQuietUntilAV) {
  auto quiet = Matcher::Parse("qn");
  ASSERT_TRUE(quiet);
  EXPECT_FALSE(quiet->ShouldEnable(0x65a));
  EXPECT_FALSE(quiet->ShouldReport(0x65a));
  EXPECT_FALSE(quiet->Verbose());
  auto some = Matcher::Parse("q!01");
  ASSERT_TRUE(some);
  EXPECT_FALSE(some->ShouldEnable(0b01));
  EXPECT_TRUE(some->ShouldEnable(0b10));
  EXPECT_FALSE(some->ShouldReport(0b01));
  auto loud = Matcher::Parse("qv01");
  ASSERT_TRUE(loud);
  EXPECT_TRUE(loud->Verbose());
  EXPECT_TRUE(loud->ShouldReport(0b01));

  ParseError e;
  EXPECT_FALSE(Matcher::Parse("q", &e));
  EXPECT_EQ(e.position, 1u);
  EXPECT_FALSE(Matcher::Parse("vq01", &e));  // only leading
  EXPECT_FALSE(Matcher::Parse("qq01", &e));
  EXPECT_EQ(e.position, 1u);
}

TEST(Marker, IdHexIsTheMarkersIdWithItsLeadingZeros) {
  EXPECT_EQ(protocol::IdHex(0x7979a1b9cc1f91b4), "0x7979a1b9cc1f91b4");
  EXPECT_EQ(protocol::IdHex(0x2a), "0x000000000000002a");
  EXPECT_EQ(protocol::Marker(0x2a), "[bisect-match " + protocol::IdHex(0x2a) + "]");
}

TEST(Marker, FormatsSixteenHexDigits) {
  EXPECT_EQ(Marker(0x65a), "[bisect-match 0x000000000000065a]");
  std::string line = "x " + Marker(0xdeadbeef) + " y";  // CutResult views into it
  auto cut = CutMarker(line);
  EXPECT_TRUE(cut.found);
  EXPECT_EQ(cut.id, 0xdeadbeefu);
  EXPECT_EQ(cut.Short(), "x y");
}

TEST(Hash, GoIntIsSixtyFourBits) {
  EXPECT_EQ(Hash(std::int64_t{42}), Hash(std::uint64_t{42}));
  EXPECT_NE(Hash(std::int64_t{42}), Hash(std::int32_t{42}));
  static_assert(Hash(std::string_view("")) == kFnvOffset64);
  EXPECT_EQ(Hash("main.go", std::int64_t{42}), Fnv1a64().AddBytes("main.go").AddU64(42).value());
}

TEST(Suffix, TermsAndBinary) {
  EXPECT_EQ(Suffix::All().Term(), "y");
  EXPECT_EQ(Suffix::FromBinary("101")->Term(), "101");
  EXPECT_EQ(Suffix::FromBinary("0110")->Term(), "x6");
  EXPECT_EQ(Suffix::Id(0x65a).Term(), "x000000000000065a");
  EXPECT_EQ(Suffix::FromBinary("101")->Extend(1).Binary(), "1101");
  EXPECT_FALSE(Suffix::FromBinary("102"));
  EXPECT_TRUE(Suffix::FromBinary("1101")->Matches(0xfd));
}

// Brute-force membership of a spec, the set the pattern must denote.
bool InSpec(const PatternSpec& spec, std::uint64_t id) {
  bool in = false;
  for (const Suffix& s : spec.add) in = in || s.Matches(id);
  for (const Suffix& s : spec.skip) in = in && !s.Matches(id);
  return in;
}

TEST(PatternBuilder, RoundTripsThroughTheParser) {
  std::mt19937_64 rng(1626);
  for (int trial = 0; trial < 2000; ++trial) {
    PatternSpec spec;
    spec.verbose = rng() & 1;
    spec.invert = rng() & 1;
    int adds = static_cast<int>(rng() % 4), skips = static_cast<int>(rng() % 3);
    auto random_suffix = [&] {
      int width = static_cast<int>(rng() % 9);
      if (rng() % 5 == 0) width = 64;
      return Suffix{width == 64 ? rng() : rng() & ((1ull << width) - 1), width};
    };
    for (int i = 0; i < adds; ++i) spec.add.push_back(random_suffix());
    for (int i = 0; i < skips; ++i) spec.skip.push_back(random_suffix());
    std::string pattern = BuildPattern(spec);
    ParseError error;
    auto m = Matcher::Parse(pattern, &error);
    ASSERT_TRUE(m) << error.Message(pattern);
    EXPECT_EQ(m->Verbose(), spec.verbose);
    std::vector<std::uint64_t> probes;
    for (const Suffix& s : spec.add) probes.push_back(s.bits), probes.push_back(s.bits ^ 1);
    for (const Suffix& s : spec.skip) probes.push_back(s.bits), probes.push_back(rng());
    for (int i = 0; i < 64; ++i) probes.push_back(rng() & 0x1ff);
    for (std::uint64_t id : probes) {
      bool in = InSpec(spec, id);
      ASSERT_EQ(m->ShouldReport(id), in) << pattern << " id " << id;
      ASSERT_EQ(m->ShouldEnable(id), in != spec.invert) << pattern << " id " << id;
    }
  }
}

TEST(PatternBuilder, ExplicitIdSets) {
  std::vector<std::uint64_t> ids = {0x65a, 0xffffffffffffffff, 0, 0x1234567890abcdef};
  auto m = Matcher::Parse(PatternForIds(ids));
  ASSERT_TRUE(m);
  for (std::uint64_t id : ids) EXPECT_TRUE(m->ShouldEnable(id));
  EXPECT_FALSE(m->ShouldEnable(0x65b));
  EXPECT_FALSE(m->ShouldReport(1));

  auto none = Matcher::Parse(PatternForIds({}));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->ShouldEnable(0x65a));
  EXPECT_FALSE(none->ShouldReport(0x65a));
}

TEST(PatternPrefix, SplitsTheLeadingVsAndBangsAsTheMatcherReadsThem) {
  PatternPrefix p = SplitPrefix("vx65a");
  EXPECT_TRUE(p.verbose);
  EXPECT_FALSE(p.invert);
  EXPECT_EQ(p.body, "x65a");
  p = SplitPrefix("vv!+x1+x2");
  EXPECT_TRUE(p.verbose);
  EXPECT_TRUE(p.invert);
  EXPECT_EQ(p.body, "+x1+x2");
  p = SplitPrefix("!!y");  // two inversions cancel, as in the matcher
  EXPECT_FALSE(p.invert);
  EXPECT_EQ(p.body, "y");
  EXPECT_EQ(SplitPrefix("n").body, "n");
  p = SplitPrefix("q!01");
  EXPECT_TRUE(p.quiet);
  EXPECT_TRUE(p.invert);
  EXPECT_EQ(p.body, "01");
  p = SplitPrefix("qvy");
  EXPECT_FALSE(p.quiet);
  EXPECT_TRUE(p.verbose);
}

}  // namespace
}  // namespace timerbisect::protocol
