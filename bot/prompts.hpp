#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bot/clock.hpp"
#include "bot/flows.hpp"
#include "bot/store/stores.hpp"

namespace ff {

struct Prompt {
  std::string id;
  std::string category;
  std::string practice;  // the leadership practice the question serves
  std::string text;
  std::vector<std::string> follow_ups;
};

struct PromptCategory {
  std::string name;
  std::string description;
};

// A prompt file that cannot be used; what() names the file and line.
class PromptFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The coaching questions, loaded from data files in prompts/ and validated as
// a whole at start: a bad file stops the bot with an error naming file and line.
class PromptLibrary {
 public:
  // Later files add prompts and categories and replace prompts by id, so a
  // team's own file can extend or override the shipped library.
  static PromptLibrary load(const std::vector<std::string>& paths);
  static PromptLibrary parse(const std::string& toml_text, const std::string& source_name);

  const std::vector<PromptCategory>& categories() const { return categories_; }
  const PromptCategory* category(const std::string& name) const;
  std::vector<const Prompt*> in_category(const std::string& category) const;
  const std::vector<Prompt>& all() const { return prompts_; }
  const Prompt* by_id(const std::string& id) const;
  // The coaching dialogs ([[flow]]), read from the same files.
  const FlowLibrary& flows() const { return flows_; }

 private:
  void merge(const std::string& toml_text, const std::string& source_name);
  void validate(const std::string& source_name) const;

  std::vector<PromptCategory> categories_;
  std::vector<Prompt> prompts_;
  FlowLibrary flows_;
};

// Draws questions for a channel so that it sees most of a category before a
// question comes back, and never the same one twice in a row.
class PromptPicker {
 public:
  PromptPicker(const PromptLibrary& library, std::uint64_t seed, store::PromptHistoryStore& history,
               const Clock& clock);
  // A random prompt, from one category when given; nullopt if the category
  // has no prompts. `user_id`, who asked, is recorded for the figures.
  std::optional<Prompt> draw(const std::string& channel, const std::string& category = {},
                             const std::string& user_id = {});

 private:
  const PromptLibrary& library_;
  store::PromptHistoryStore& history_;
  const Clock& clock_;
  std::mutex mutex_;
  std::mt19937_64 random_;
};

}  // namespace ff
