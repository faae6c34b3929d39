#include "flag_value_names.h"

#include <map>
#include <string>
#include <vector>

namespace timerbisect::cmd {
namespace {

const std::map<std::string, std::string>& ValueNames() {
  static const std::map<std::string, std::string> names = {
      {"command", "WORD"},
      {"timeout", "D"},
      {"fail-on", "REGEX"},
      {"fail-exit", "CODE"},
      {"count", "N"},
      {"max", "N"},
      {"maxset", "N"},
      {"algorithm", "NAME"},
      {"confidence", "P"},
      {"max-runs", "N"},
      {"jobs", "N"},
      {"json", "FILE"},
      {"journal", "FILE"},
      {"shim", "FILE"},
      {"env", "VAR=VALUE"},
      {"godebug", "NAME=VALUE"},
      {"aspects", "LIST"},
      {"depth", "N"},
      {"scope", "REGEX"},
      {"short", "D"},
      {"lag", "D"},
      {"launcher", "WHERE"},
      {"launcher-arg", "ARG"},
      {"partition", "NAME"},
      {"time-limit", "TIME"},
      {"junit", "FILE"},
      {"budget", "N"},
      {"mode", "MODE"},
      {"sites", "IDS"},
      {"from-json", "FILE"},
      {"set", "N"},
  };
  return names;
}

// Whole numbers are decimal: CLI11 reads "010" as octal and "0x10" as
// hex, so --fail-exit 010 chased exit 8 and --depth 010 was 8 where
// TIMERSEM_DEPTH=010 is 10 (audit 25). Leading zeros are dropped, a 0x,
// 0o or 0b prefix is refused, and anything else is left to the flag's own
// check (which names its range).
std::string Decimal(std::string value) {
  const std::size_t sign = !value.empty() && value[0] == '-' ? 1 : 0;
  if (value.size() > sign + 1 && value[sign] == '0' &&
      std::string("xXoObB").find(value[sign + 1]) != std::string::npos) {
    throw CLI::ValidationError("expected a decimal number, not " + value);
  }
  if (value.size() == sign || value.find_first_not_of("0123456789", sign) != std::string::npos) {
    return value;
  }
  std::size_t first = value.find_first_not_of('0', sign);
  if (first == std::string::npos) first = value.size() - 1;
  return value.substr(0, sign) + value.substr(first);
}

}  // namespace

void NameFlagValues(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    const std::vector<std::string>& long_names = option->get_lnames();
    auto name =
        ValueNames().find(long_names.empty() ? option->get_single_name() : long_names.front());
    if (name == ValueNames().end()) continue;
    option->type_name(name->second);
    if (name->second == "N" || name->second == "CODE") option->transform(Decimal);
    // CLI11 2.1 counts no option's checks: ask by index until it says none.
    for (int i = 0;; ++i) {
      CLI::Validator* check = nullptr;
      try {
        check = option->get_validator(i);
      } catch (const CLI::OptionNotFound&) {
        break;
      }
      check->description("");
    }
  }
  for (CLI::App* sub : app.get_subcommands({})) NameFlagValues(*sub);
}

}  // namespace timerbisect::cmd
