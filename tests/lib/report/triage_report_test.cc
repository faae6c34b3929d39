// lib/report/triage_report.h: triage's rates, verdict and JUnit/JSON,
// from hand-made counts. The Wilson bounds were computed independently
// (Python's statistics.NormalDist and the textbook formula).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "report/triage_report.h"

namespace timerbisect::report {
namespace {

// 0/10 natively, 3/10 all-old, 10/10 all-new: fails under new.
TriageReport UnderNew() {
  TriageReport t;
  t.configs[0].counts = {0, 10};
  t.configs[1].counts = {3, 10};
  t.configs[2].counts = {10, 10};
  t.verdict = Sensitivity::kUnderNew;
  t.confidence = 0.98765;
  t.duration = std::chrono::milliseconds(4321);
  return t;
}

TEST(Triage, ConfigurationsAreNativeAllOldAllNew) {
  TriageReport t;
  EXPECT_STREQ(t.configs[0].name, "native");
  EXPECT_STREQ(t.configs[0].pattern, "");
  EXPECT_STREQ(t.configs[1].name, "all-old");
  EXPECT_STREQ(t.configs[1].pattern, "n");
  EXPECT_STREQ(t.configs[2].name, "all-new");
  EXPECT_STREQ(t.configs[2].pattern, "y");
  EXPECT_TRUE(IsSensitive(Sensitivity::kUnderNew));
  EXPECT_TRUE(IsSensitive(Sensitivity::kUnderOld));
  EXPECT_FALSE(IsSensitive(Sensitivity::kNotSensitive));
  EXPECT_FALSE(IsSensitive(Sensitivity::kInconclusive));
}

TEST(TriageText, RatesIntervalsAndVerdict) {
  EXPECT_EQ(RatesText(UnderNew(), 0.95),
            "  native     0/10  runs failed   rate 0.00  [0.00, 0.28]\n"
            "  all-old    3/10  runs failed   rate 0.30  [0.11, 0.60]\n"
            "  all-new   10/10  runs failed   rate 1.00  [0.72, 1.00]\n"
            "  (intervals: 95% Wilson)\n"
            "verdict: timer-sensitive: it fails more often when timers have new semantics "
            "(posterior 0.988)\n");
}

TEST(TriageText, EachVerdictInWords) {
  TriageReport t = UnderNew();
  auto verdict = [&](Sensitivity s) {
    t.verdict = s;
    std::string text = RatesText(t, 0.99);
    return text.substr(text.find("verdict: "));
  };
  EXPECT_EQ(verdict(Sensitivity::kUnderOld),
            "verdict: timer-sensitive: it fails more often when timers have old semantics "
            "(posterior 0.988)\n");
  EXPECT_EQ(verdict(Sensitivity::kNotSensitive),
            "verdict: not timer-sensitive: its failure rate does not depend on timer semantics "
            "(posterior 0.988)\n");
}

TEST(TriageText, InconclusiveSaysWhatWouldSettleIt) {
  TriageReport t;  // no runs: every interval is [0, 1]
  t.confidence = 0.5;
  t.runs_to_settle = 40;
  EXPECT_EQ(RatesText(t, 0.99),
            "  native     0/0   runs failed   rate 0.00  [0.00, 1.00]\n"
            "  all-old    0/0   runs failed   rate 0.00  [0.00, 1.00]\n"
            "  all-new    0/0   runs failed   rate 0.00  [0.00, 1.00]\n"
            "  (intervals: 99% Wilson)\n"
            "verdict: inconclusive (posterior 0.500); about 40 more runs per configuration would "
            "settle it (raise --budget)\n");
  t.runs_to_settle = -1;
  t.reached_sites = false;
  std::string text = RatesText(t, 0.99);
  EXPECT_EQ(text.substr(text.find("verdict: ")),
            "verdict: inconclusive (posterior 0.500); more runs would be needed than can be "
            "estimated; no run reached a timer site\n");
}

TEST(TriageJUnit, OneCaseAConfigurationAndOneTheVerdict) {
  BisectReport bisect;
  bisect.outcome = Outcome::kFound;
  bisect.sets.resize(2);
  EXPECT_EQ(JUnit(UnderNew(), "the text", &bisect),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuite name=\"timerbisect-triage\" tests=\"4\" failures=\"3\" errors=\"0\" "
            "skipped=\"0\" time=\"4.321\">\n"
            "  <testcase classname=\"timerbisect.triage\" name=\"native\"></testcase>\n"
            "  <testcase classname=\"timerbisect.triage\" name=\"all-old\"><failure "
            "message=\"3 of 10 runs failed\"/></testcase>\n"
            "  <testcase classname=\"timerbisect.triage\" name=\"all-new\"><failure "
            "message=\"10 of 10 runs failed\"/></testcase>\n"
            "  <testcase classname=\"timerbisect.triage\" name=\"timer-sensitivity\"><failure "
            "message=\"timer-sensitive: it fails more often when timers have new semantics; 2 "
            "culprit set(s) found\"/></testcase>\n"
            "  <system-out>the text</system-out>\n"
            "</testsuite>\n");
}

TEST(TriageJUnit, NotSensitivePassesAndInconclusiveIsSkipped) {
  TriageReport t;
  t.verdict = Sensitivity::kNotSensitive;
  t.configs[0].counts = {0, 5};
  t.configs[1].counts = {0, 5};
  t.configs[2].counts = {0, 5};
  const std::string cases =
      "  <testcase classname=\"timerbisect.triage\" name=\"native\"></testcase>\n"
      "  <testcase classname=\"timerbisect.triage\" name=\"all-old\"></testcase>\n"
      "  <testcase classname=\"timerbisect.triage\" name=\"all-new\"></testcase>\n";
  const std::string start =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuite name=\"timerbisect-triage\" tests=\"4\" failures=\"0\" errors=\"0\" ";
  EXPECT_EQ(JUnit(t, "", nullptr),
            start + "skipped=\"0\" time=\"0.000\">\n" + cases +
                "  <testcase classname=\"timerbisect.triage\" name=\"timer-sensitivity\">"
                "</testcase>\n"
                "  <system-out></system-out>\n"
                "</testsuite>\n");
  t.verdict = Sensitivity::kInconclusive;
  EXPECT_EQ(JUnit(t, "", nullptr),
            start + "skipped=\"1\" time=\"0.000\">\n" + cases +
                "  <testcase classname=\"timerbisect.triage\" name=\"timer-sensitivity\">"
                "<skipped message=\"inconclusive\"/></testcase>\n"
                "  <system-out></system-out>\n"
                "</testsuite>\n");
}

TEST(TriageJUnit, SensitiveWithoutSetsNamesNone) {
  TriageReport t = UnderNew();
  t.verdict = Sensitivity::kUnderOld;
  const BisectReport empty;
  for (const BisectReport* bisect : {static_cast<const BisectReport*>(nullptr), &empty}) {
    std::string xml = JUnit(t, "", bisect);
    EXPECT_NE(xml.find("<failure message=\"timer-sensitive: it fails more often when timers "
                       "have old semantics\"/>"),
              std::string::npos)
        << xml;
  }
}

TEST(TriageJUnit, EscapesTheOutputAndTheNames) {
  TriageReport t = UnderNew();
  t.configs[1].name = "old <\"&\">";
  std::string xml = JUnit(t, "a < b & \"c\" > d\x01\r\n\tend 'q' ]]>", nullptr);
  EXPECT_NE(xml.find("<system-out>a &lt; b &amp; &quot;c&quot; &gt; d  \n\tend 'q' ]]&gt;"
                     "</system-out>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("name=\"old &lt;&quot;&amp;&quot;&gt;\"><failure"), std::string::npos) << xml;
}

// An argument or an output line in another encoding: every byte that is
// not well-formed UTF-8 becomes U+FFFD (the file was no XML at all), and
// well-formed sequences of two to four bytes pass unchanged.
TEST(TriageJUnit, BytesThatAreNotUtf8BecomeTheReplacementCharacter) {
  const std::string good = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  const std::string bad = "\xFF\xFE|\xC0\xAF|\xED\xA0\x80|\xE2\x82|\xF4\x90\x80\x80";
  std::string xml = JUnit(UnderNew(), good + " " + bad, nullptr);
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_NE(
      xml.find("<system-out>" + good + " " + fffd + fffd + "|" + fffd + fffd + "|" + fffd + fffd +
               fffd + "|" + fffd + fffd + "|" + fffd + fffd + fffd + fffd + "</system-out>"),
      std::string::npos)
      << xml;
  EXPECT_EQ(ErrorJUnit("\xFFx").find('\xFF'), std::string::npos);
}

TEST(TriageJson, RatesVerdictPosteriorAndTheBisection) {
  BisectReport bisect;
  bisect.outcome = Outcome::kFound;
  bisect.probes = 4;
  nlohmann::json j = ToJson(UnderNew(), 0.95, &bisect);
  EXPECT_EQ(j["schema_version"], 2);
  EXPECT_EQ(j["duration_ms"], 4321);
  EXPECT_EQ(j["verdict"], "sensitive-under-new");
  EXPECT_EQ(j["posterior"], 0.98765);
  EXPECT_EQ(j["confidence_asked"], 0.95);
  EXPECT_FALSE(j.contains("runs_to_settle"));
  EXPECT_EQ(j["bisect"], ToJson(bisect));
  ASSERT_EQ(j["rates"].size(), 3u);
  const char* names[] = {"native", "all-old", "all-new"};
  const long long failures[] = {0, 3, 10};
  const double low[] = {0, 0.10779126740630104, 0.7224672001371109};
  const double high[] = {0.27753279986288915, 0.6032218525388545, 1};
  for (int i = 0; i < 3; ++i) {
    const nlohmann::json& rate = j["rates"][i];
    EXPECT_EQ(rate["configuration"], names[i]);
    EXPECT_TRUE(rate["failures"].is_number_integer());
    EXPECT_EQ(rate["failures"], failures[i]);
    EXPECT_EQ(rate["runs"], 10);
    EXPECT_NEAR(rate["low"].get<double>(), low[i], 1e-12) << names[i];
    EXPECT_NEAR(rate["high"].get<double>(), high[i], 1e-12) << names[i];
  }
}

TEST(TriageJson, EachVerdictWordAndRunsToSettleWhenInconclusive) {
  TriageReport t;
  t.verdict = Sensitivity::kUnderOld;
  EXPECT_EQ(ToJson(t, 0.99, nullptr)["verdict"], "sensitive-under-old");
  t.verdict = Sensitivity::kNotSensitive;
  EXPECT_EQ(ToJson(t, 0.99, nullptr)["verdict"], "not-timer-sensitive");
  t.verdict = Sensitivity::kInconclusive;
  t.runs_to_settle = -1;
  nlohmann::json j = ToJson(t, 0.99, nullptr);
  EXPECT_EQ(j["verdict"], "inconclusive");
  EXPECT_EQ(j["runs_to_settle"], -1);
  EXPECT_TRUE(j["bisect"].is_null());
  EXPECT_EQ(j["rates"][0]["low"], 0.0);
  EXPECT_EQ(j["rates"][0]["high"], 1.0);
}

}  // namespace
}  // namespace timerbisect::report
