#include "commands/wording.hpp"

namespace ff::commands {

std::string counted(std::int64_t n, const std::string& singular, const std::string& plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural.empty() ? singular + "s" : plural);
}

std::string percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "0%";
  return std::to_string((part * 200 + whole) / (2 * whole)) + "%";
}

}  // namespace ff::commands
