#include "report/reproduction.h"

#include "report/format.h"

namespace timerbisect::report {

const std::string* Reproduction::Find(const std::string& name) const {
  for (const auto& [k, v] : env) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string ShellLine(const Reproduction& r) {
  std::string launcher;
  for (const std::string& word : r.launcher) launcher += ShellQuote(word) + " ";
  std::string line;
  for (const auto& [k, v] : r.env) line += (line.empty() ? "" : " ") + ShellAssignment(k, v);
  // Behind a launcher the variables go through env, so that they are set
  // where the command runs.
  const bool through_env = r.shell || !r.launcher.empty();
  if (through_env && !line.empty()) line = "env " + line;
  if (r.shell) {
    std::string script;
    for (const std::string& word : r.argv) script += (script.empty() ? "" : " ") + word;
    return launcher + (line.empty() ? "" : line + " ") + "sh -c " + ShellQuote(script);
  }
  for (const std::string& word : r.argv) line += (line.empty() ? "" : " ") + ShellQuote(word);
  return launcher + line;
}

nlohmann::json ToJson(const Reproduction& r) {
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : r.env) env.push_back({k, v});
  nlohmann::json json = {{"env", env}, {"argv", r.argv}, {"shell", r.shell}};
  if (!r.launcher.empty()) json["launcher"] = r.launcher;
  return json;
}

base::Expected<Reproduction> ReproductionFromJson(const nlohmann::json& json) {
  auto fail = [](std::string error) {
    return base::Expected<Reproduction>::Fail(std::move(error));
  };
  Reproduction r;
  if (!json.is_object() || !json.contains("env") || !json["env"].is_array() ||
      !json.contains("argv") || !json["argv"].is_array()) {
    return fail("expected {\"env\": [[name, value], ...], \"argv\": [...], \"shell\": bool}");
  }
  for (const nlohmann::json& pair : json["env"]) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return fail("an \"env\" entry is not a [name, value] pair of strings");
    }
    r.env.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  for (const nlohmann::json& word : json["argv"]) {
    if (!word.is_string()) {
      return fail("an \"argv\" word is not a string");
    }
    r.argv.push_back(word.get<std::string>());
  }
  if (json.contains("shell")) {
    // json.value() would throw on a non-bool: an abort in `env --from-json`.
    if (!json["shell"].is_boolean()) return fail("\"shell\" is not true or false");
    r.shell = json["shell"].get<bool>();
  }
  if (json.contains("launcher")) {
    if (!json["launcher"].is_array()) return fail("\"launcher\" is not a list of words");
    for (const nlohmann::json& word : json["launcher"]) {
      if (!word.is_string()) return fail("a \"launcher\" word is not a string");
      r.launcher.push_back(word.get<std::string>());
    }
  }
  return r;
}

}  // namespace timerbisect::report
