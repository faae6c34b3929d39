// Every row of the reference implementation's conformance tables, no sampling.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <string>

#include "golden_tables.h"
#include "protocol/hash.h"
#include "protocol/marker.h"
#include "protocol/matcher.h"

namespace timerbisect::protocol {
namespace {

using testing::GoldenRow;
using testing::ReadGoldenTable;

std::uint64_t ParseHex(const std::string& s) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  EXPECT_TRUE(ec == std::errc() && ptr == s.data() + s.size()) << "bad hex in table: " << s;
  return v;
}

std::uint64_t ParseDecimal(const std::string& s) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  EXPECT_TRUE(ec == std::errc() && ptr == s.data() + s.size()) << "bad number in table: " << s;
  return v;
}

std::string UnescapeTabs(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 't') {
      out += '\t';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

TEST(ProtocolGolden, EveryMatchRow) {
  auto rows = ReadGoldenTable("match.tsv");
  ASSERT_GT(rows.size(), 30000u);
  int checked = 0;
  for (const GoldenRow& row : rows) {
    ASSERT_EQ(row.fields.size(), 5u) << "match.tsv:" << row.line_number;
    const std::string& pattern = row.fields[0];
    std::uint64_t id = ParseHex(row.fields[1]);
    ParseError error;
    auto m = Matcher::Parse(pattern, &error);
    SCOPED_TRACE("match.tsv:" + std::to_string(row.line_number) + " pattern \"" + pattern +
                 "\" id " + row.fields[1]);
    if (row.fields[2] == "ERR") {
      EXPECT_FALSE(m.has_value());
      EXPECT_LE(error.position, pattern.size());
      EXPECT_FALSE(error.reason.empty());
    } else {
      ASSERT_TRUE(m.has_value()) << error.Message(pattern);
      EXPECT_EQ(m->Verbose(), row.fields[2] == "1");
      EXPECT_EQ(m->ShouldEnable(id), row.fields[3] == "1");
      EXPECT_EQ(m->ShouldReport(id), row.fields[4] == "1");
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(rows.size()));
}

TEST(ProtocolGolden, EveryMarkerRow) {
  auto rows = ReadGoldenTable("marker.tsv");
  ASSERT_GT(rows.size(), 90u);
  for (const GoldenRow& row : rows) {
    ASSERT_EQ(row.fields.size(), 4u) << "marker.tsv:" << row.line_number;
    std::string line = UnescapeTabs(row.fields[0]);
    SCOPED_TRACE("marker.tsv:" + std::to_string(row.line_number) + " line \"" + row.fields[0] +
                 "\"");
    CutResult cut = CutMarker(line);
    EXPECT_EQ(cut.found, row.fields[3] == "1");
    EXPECT_EQ(cut.Short(), UnescapeTabs(row.fields[1]));
    EXPECT_EQ(cut.id, ParseHex(row.fields[2]));
  }
}

// hash.tsv kinds: str (bytes), u64/u32/i64/i32 (decimal integer), multi
// (arguments separated by '|', an integer written N(int) or N(u64): Go's int
// is 64 bits wide).
std::uint64_t HashGoldenValue(const std::string& kind, const std::string& value) {
  if (kind == "str") return Hash(std::string_view(value));
  if (kind == "u64" || kind == "i64") return Hash(ParseDecimal(value));
  if (kind == "u32" || kind == "i32") return Hash(static_cast<std::uint32_t>(ParseDecimal(value)));
  EXPECT_EQ(kind, "multi");
  Fnv1a64 h;
  std::string::size_type start = 0;
  while (true) {
    auto bar = value.find('|', start);
    std::string arg = value.substr(start, bar - start);
    if (arg.ends_with("(int)") || arg.ends_with("(u64)")) {
      h.AddU64(ParseDecimal(arg.substr(0, arg.size() - 5)));
    } else if (arg.ends_with("(u32)")) {
      h.AddU32(static_cast<std::uint32_t>(ParseDecimal(arg.substr(0, arg.size() - 5))));
    } else {
      h.AddBytes(arg);
    }
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return h.value();
}

TEST(ProtocolGolden, EveryHashRow) {
  auto rows = ReadGoldenTable("hash.tsv");
  ASSERT_GT(rows.size(), 15u);
  for (const GoldenRow& row : rows) {
    ASSERT_EQ(row.fields.size(), 3u) << "hash.tsv:" << row.line_number;
    EXPECT_EQ(HashGoldenValue(row.fields[0], row.fields[1]), ParseHex(row.fields[2]))
        << "hash.tsv:" << row.line_number << " " << row.fields[0] << " " << row.fields[1];
  }
}

}  // namespace
}  // namespace timerbisect::protocol
