#include "report/format.h"

#include "protocol/marker.h"

namespace timerbisect::report {

std::string Plural(std::uint64_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string Join(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += separator;
    out += words[i];
  }
  return out;
}

namespace {

// `word` quoted unless it is made of these characters only; not '!', which
// bash, where users paste the line, expands from its history even mid-word
// (an inverted pattern, "!x65a"). A '#' that begins a word starts a
// comment, so the caller says whether `word` is a word of its own.
std::string Quote(const std::string& word, bool own_word) {
  if (!word.empty() && !(own_word && word[0] == '#') &&
      word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "0123456789@%_-+=:,./#") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string ShellQuote(const std::string& word) {
  return Quote(word, true);
}

std::string ShellAssignment(const std::string& name, const std::string& value) {
  return name + "=" + Quote(value, false);
}

std::string JsonDocument(const nlohmann::json& document) {
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

nlohmann::json FrameJson(const symbolize::SourceFrame& f) {
  nlohmann::json frame = {{"function", f.function},
                          {"file", f.file},
                          {"line", f.line},
                          {"column", f.column},
                          {"inlined", f.inlined},
                          {"module", f.module},
                          {"offset", protocol::IdHex(f.offset)}};
  if (!f.note.empty()) frame["note"] = f.note;
  return frame;
}

}  // namespace timerbisect::report
