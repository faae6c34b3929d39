#include "report/triage_report.h"

#include <cstdio>
#include <sstream>

#include "stats/rate.h"

namespace timerbisect::report {
namespace {

// A verdict as a word (the JSON's "verdict") and in words (the text's and
// JUnit's).
struct VerdictNames {
  const char* word;
  const char* text;
};

VerdictNames Names(Sensitivity s) {
  switch (s) {
    case Sensitivity::kUnderNew:
      return {"sensitive-under-new",
              "timer-sensitive: it fails more often when timers have new semantics"};
    case Sensitivity::kUnderOld:
      return {"sensitive-under-old",
              "timer-sensitive: it fails more often when timers have old semantics"};
    case Sensitivity::kUnderBoth:
      return {"sensitive-under-both",
              "timer-sensitive both ways: it fails more often with every timer old and with "
              "every timer new than natively, so some timers fail it under old semantics and "
              "others under new"};
    case Sensitivity::kNotSensitive:
      return {"not-timer-sensitive",
              "not timer-sensitive: its failure rate does not depend on timer semantics"};
    case Sensitivity::kInconclusive:
      break;
  }
  return {"inconclusive", "inconclusive"};
}

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no
// overlong forms, surrogates or code points past U+10FFFF), or 0.
std::size_t Utf8SequenceAt(const std::string& s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                       : lead >= 0xE0 && lead <= 0xEF ? 3
                       : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                      : 0;
  if (length == 0 || i + length > s.size()) return 0;
  // The second byte's range is narrower after these leads.
  unsigned char low = 0x80, high = 0xBF;
  if (lead == 0xE0) low = 0xA0;
  if (lead == 0xED) high = 0x9F;
  if (lead == 0xF0) low = 0x90;
  if (lead == 0xF4) high = 0x8F;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// Escaped for XML text and attributes; a byte that is not part of
// well-formed UTF-8 (an argument or a program's output in another
// encoding) becomes U+FFFD, and a control character a space, so the file
// stays well-formed XML.
std::string XmlEscape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t length = Utf8SequenceAt(s, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        continue;
      }
      out.append(s, i, length);
      i += length - 1;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

bool IsSensitive(Sensitivity verdict) {
  return verdict == Sensitivity::kUnderNew || verdict == Sensitivity::kUnderOld ||
         verdict == Sensitivity::kUnderBoth;
}

std::string RatesText(const TriageReport& t, double confidence) {
  std::ostringstream out;
  for (const Configuration& c : t.configs) {
    stats::Interval ci = stats::WilsonInterval(c.counts, confidence);
    char line[160];
    std::snprintf(line, sizeof line, "  %-8s %3.0f/%-3.0f runs failed   rate %.2f  [%.2f, %.2f]\n",
                  c.name, c.counts.failures, c.counts.runs,
                  c.counts.runs > 0 ? c.counts.failures / c.counts.runs : 0.0, ci.low, ci.high);
    out << line;
  }
  char intervals[64];
  std::snprintf(intervals, sizeof intervals, "  (intervals: %.0f%% Wilson)\n", confidence * 100);
  out << intervals << "verdict: " << Names(t.verdict).text;
  // Old and new ran as natively when no site was reached: no posterior of
  // rates is the reason then.
  if (t.verdict != Sensitivity::kNotSensitive || t.reached_sites) {
    char posterior[48];
    std::snprintf(posterior, sizeof posterior, " (posterior %.3f)", t.confidence);
    out << posterior;
  }
  if (t.verdict == Sensitivity::kInconclusive) {
    out << "; "
        << (t.runs_to_settle > 0
                ? "about " + std::to_string(t.runs_to_settle) +
                      " more runs per configuration would settle it (raise --budget)"
                : std::string("more runs would be needed than can be estimated"));
  }
  if (!t.reached_sites) {
    out << (t.reached_out_of_scope
                ? "; no timer site matched the scope (sites outside it were reached)"
                : "; no run reached a timer site");
  }
  out << "\n";
  return out.str();
}

std::string JUnit(const TriageReport& t, const std::string& text, const BisectReport* rep) {
  std::ostringstream x;
  int failures = 0;
  for (const Configuration& c : t.configs) failures += c.counts.failures > 0;
  bool sensitive = IsSensitive(t.verdict);
  failures += sensitive;
  const bool skipped = t.verdict == Sensitivity::kInconclusive;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(t.duration.count()) / 1000);
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuite name=\"timerbisect-triage\" tests=\"4\" failures=\"" << failures
    << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << seconds << "\">\n";
  for (const Configuration& c : t.configs) {
    x << "  <testcase classname=\"timerbisect.triage\" name=\"" << XmlEscape(c.name) << "\">";
    if (c.counts.failures > 0) {
      x << "<failure message=\"" << c.counts.failures << " of " << c.counts.runs
        << " runs failed\"/>";
    }
    x << "</testcase>\n";
  }
  x << "  <testcase classname=\"timerbisect.triage\" name=\"timer-sensitivity\">";
  if (sensitive) {
    std::string msg = Names(t.verdict).text;
    if (rep != nullptr && !rep->sets.empty()) {
      msg += "; " + std::to_string(rep->sets.size()) + " culprit set(s) found";
    }
    if (rep != nullptr && rep->interrupted) msg += "; the search for the culprits was interrupted";
    x << "<failure message=\"" << XmlEscape(msg) << "\"/>";
  } else if (skipped) {
    x << "<skipped message=\"inconclusive\"/>";
  }
  x << "</testcase>\n  <system-out>" << XmlEscape(text) << "</system-out>\n</testsuite>\n";
  return x.str();
}

std::string ErrorJUnit(const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<testsuite name=\"timerbisect-triage\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
         "  <testcase classname=\"timerbisect.triage\" name=\"timer-sensitivity\"><error "
         "message=\"" +
         XmlEscape(message) + "\"/></testcase>\n</testsuite>\n";
}

namespace {

nlohmann::json RatesJson(const TriageReport& t, double confidence) {
  nlohmann::json rates = nlohmann::json::array();
  for (const Configuration& c : t.configs) {
    stats::Interval ci = stats::WilsonInterval(c.counts, confidence);
    rates.push_back({{"configuration", c.name},
                     {"failures", static_cast<long long>(c.counts.failures)},
                     {"runs", static_cast<long long>(c.counts.runs)},
                     {"low", ci.low},
                     {"high", ci.high}});
  }
  return rates;
}

}  // namespace

nlohmann::json InterruptedJson(const std::string& message, int runs,
                               std::chrono::milliseconds duration,
                               const std::vector<std::string>& command, const TriageReport& so_far,
                               double confidence) {
  return {{"schema_version", kJsonSchemaVersion},
          {"duration_ms", duration.count()},
          {"verdict", "interrupted"},
          {"message", message},
          {"command", command},
          {"runs", runs},
          {"rates", RatesJson(so_far, confidence)}};
}

nlohmann::json TriageSetupErrorJson(const std::string& message,
                                    const std::vector<std::string>& command) {
  return {{"schema_version", kJsonSchemaVersion},
          {"verdict", "setup-error"},
          {"message", message},
          {"command", command}};
}

nlohmann::json ToJson(const TriageReport& t, double confidence, const BisectReport* rep) {
  nlohmann::json j = {{"schema_version", kJsonSchemaVersion},
                      {"duration_ms", t.duration.count()},
                      {"rates", RatesJson(t, confidence)},
                      {"verdict", Names(t.verdict).word},
                      {"posterior", t.confidence},
                      {"confidence_asked", confidence}};
  if (t.verdict == Sensitivity::kInconclusive) j["runs_to_settle"] = t.runs_to_settle;
  j["bisect"] = rep != nullptr ? ToJson(*rep) : nlohmann::json(nullptr);
  return j;
}

}  // namespace timerbisect::report
