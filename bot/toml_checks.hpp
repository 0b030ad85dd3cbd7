#pragma once

// The checks the readers of the prompt files share: the questions
// (prompts.cpp) and the dialog flows (flows.cpp) read the same files, so they
// report a bad one the same way, PromptFileError("file:line: what"), and agree
// on what a name may be. Internal to ff_bot: only its .cpp files include it.

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "bot/prompts.hpp"

namespace ff::toml_checks {

// "file:line" of where a node begins.
inline std::string at(const std::string& source, const toml::source_region& where) {
  return source + ":" + std::to_string(where.begin.line);
}

[[noreturn]] inline void fail(const std::string& source, const toml::node& node,
                              const std::string& what) {
  throw PromptFileError(at(source, node.source()) + ": " + what);
}

// The whole file, or "path: cannot be read".
inline std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw PromptFileError(path + ": cannot be read");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The parsed file; a syntax error names file and line.
inline toml::table parse(const std::string& toml_text, const std::string& source) {
  try {
    return toml::parse(toml_text, source);
  } catch (const toml::parse_error& error) {
    throw PromptFileError(at(source, error.source()) + ": " + std::string(error.description()));
  }
}

// The string at `key`, which must be there and not blank.
inline std::string required_text(const std::string& source, const toml::table& table,
                                 const char* key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) fail(source, table, std::string("missing '") + key + "'");
  const auto* value = node->as_string();
  if (value == nullptr) fail(source, *node, std::string("'") + key + "' must be a string");
  std::string text = value->get();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    fail(source, *node, std::string("'") + key + "' is empty");
  }
  return text;
}

// An id: lower-case letters, digits, - or _, at most 40 of them.
inline bool is_name(const std::string& s) {
  return !s.empty() && s.size() <= 40 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Refuses the first key of `table` that is not one of `known`, naming it.
inline void refuse_unknown_keys(const std::string& source, const toml::table& table,
                                std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end())
      fail(source, value, "unknown key '" + std::string(key.str()) + "'");
  }
}

}  // namespace ff::toml_checks
