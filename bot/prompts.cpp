#include "bot/prompts.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "bot/toml_checks.hpp"

namespace ff {

using toml_checks::fail;
using toml_checks::is_name;
using toml_checks::required_text;

PromptLibrary PromptLibrary::load(const std::vector<std::string>& paths) {
  PromptLibrary library;
  for (const auto& path : paths) {
    library.merge(toml_checks::read_file(path), path);
  }
  library.validate(paths.empty() ? "prompt library" : paths.back());
  library.flows_ = FlowLibrary::load(paths);
  return library;
}

PromptLibrary PromptLibrary::parse(const std::string& toml_text, const std::string& source_name) {
  PromptLibrary library;
  library.merge(toml_text, source_name);
  library.validate(source_name);
  library.flows_ = FlowLibrary::parse(toml_text, source_name);
  return library;
}

void PromptLibrary::merge(const std::string& toml_text, const std::string& source) {
  const toml::table root = toml_checks::parse(toml_text, source);

  if (const toml::node* node = root.get("categories")) {
    const auto* table = node->as_table();
    if (table == nullptr) fail(source, *node, "'categories' must be a table");
    for (const auto& [key, value] : *table) {
      const std::string name(key.str());
      if (!is_name(name))
        fail(source, value,
             "category name '" + name + "' must be lower-case letters, digits, - or _");
      const auto* description = value.as_string();
      if (description == nullptr)
        fail(source, value, "category '" + name + "' needs a description string");
      auto existing = std::find_if(categories_.begin(), categories_.end(),
                                   [&](const PromptCategory& c) { return c.name == name; });
      if (existing != categories_.end()) {
        existing->description = description->get();
      } else {
        categories_.push_back({name, description->get()});
      }
    }
  }

  const toml::node* prompts_node = root.get("prompt");
  if (prompts_node == nullptr) return;
  const auto* prompts = prompts_node->as_array();
  if (prompts == nullptr)
    fail(source, *prompts_node, "'prompt' must be an array of tables ([[prompt]])");
  std::set<std::string> ids_in_file;
  for (const toml::node& entry : *prompts) {
    const auto* table = entry.as_table();
    if (table == nullptr) fail(source, entry, "each [[prompt]] must be a table");
    Prompt p;
    p.id = required_text(source, *table, "id");
    if (!is_name(p.id))
      fail(source, entry, "prompt id '" + p.id + "' must be lower-case letters, digits, - or _");
    if (!ids_in_file.insert(p.id).second)
      fail(source, entry, "prompt id '" + p.id + "' is used twice");
    p.category = required_text(source, *table, "category");
    if (category(p.category) == nullptr) {
      fail(source, entry, "prompt '" + p.id + "' names unknown category '" + p.category + "'");
    }
    p.practice = required_text(source, *table, "practice");
    p.text = required_text(source, *table, "text");
    if (p.text.size() > 500) fail(source, entry, "prompt '" + p.id + "' is longer than 500 bytes");
    if (const toml::node* follow = table->get("follow_ups")) {
      const auto* list = follow->as_array();
      if (list == nullptr) fail(source, *follow, "'follow_ups' must be an array of strings");
      for (const toml::node& item : *list) {
        const auto* text = item.as_string();
        if (text == nullptr) fail(source, item, "'follow_ups' must be an array of strings");
        p.follow_ups.push_back(text->get());
      }
    }
    toml_checks::refuse_unknown_keys(source, *table,
                                     {"id", "category", "practice", "text", "follow_ups"});
    auto existing = std::find_if(prompts_.begin(), prompts_.end(),
                                 [&](const Prompt& q) { return q.id == p.id; });
    if (existing != prompts_.end()) {
      *existing = std::move(p);
    } else {
      prompts_.push_back(std::move(p));
    }
  }
}

void PromptLibrary::validate(const std::string& source) const {
  if (prompts_.empty()) throw PromptFileError(source + ": the prompt library holds no prompts");
  for (const auto& c : categories_) {
    if (in_category(c.name).empty()) {
      throw PromptFileError(source + ": category '" + c.name + "' has no prompts");
    }
  }
}

const PromptCategory* PromptLibrary::category(const std::string& name) const {
  auto it = std::find_if(categories_.begin(), categories_.end(),
                         [&](const PromptCategory& c) { return c.name == name; });
  return it == categories_.end() ? nullptr : &*it;
}

std::vector<const Prompt*> PromptLibrary::in_category(const std::string& name) const {
  std::vector<const Prompt*> found;
  for (const auto& p : prompts_) {
    if (name.empty() || p.category == name) found.push_back(&p);
  }
  return found;
}

const Prompt* PromptLibrary::by_id(const std::string& id) const {
  auto it =
      std::find_if(prompts_.begin(), prompts_.end(), [&](const Prompt& p) { return p.id == id; });
  return it == prompts_.end() ? nullptr : &*it;
}

PromptPicker::PromptPicker(const PromptLibrary& library, std::uint64_t seed,
                           store::PromptHistoryStore& history, const Clock& clock)
    : library_(library), history_(history), clock_(clock), random_(seed) {}

std::optional<Prompt> PromptPicker::draw(const std::string& channel, const std::string& category,
                                         const std::string& user_id) {
  auto candidates = library_.in_category(category);
  if (candidates.empty()) return std::nullopt;
  // A channel does not see a question again until most of the pool (three
  // quarters of it) has been drawn there: the most recent draws are left
  // out. The history is in the database, so this holds across restarts and
  // instances. Without the database a question may repeat; that is all.
  const std::size_t pool = candidates.size();
  const std::size_t left_out = pool - std::max<std::size_t>(1, pool / 4);
  std::set<std::string> recent;
  try {
    for (const auto& id : history_.recent_draws(channel, category, static_cast<int>(pool))) {
      if (recent.size() == left_out) break;
      recent.insert(id);
    }
  } catch (const store::StoreError& error) {
    spdlog::warn("prompt rotation: history unavailable ({})", error.what());
  }
  std::vector<const Prompt*> fresh;
  for (const Prompt* p : candidates) {
    if (recent.count(p->id) == 0) fresh.push_back(p);
  }
  if (!fresh.empty()) candidates = std::move(fresh);
  const Prompt* chosen = nullptr;
  {
    std::lock_guard lock(mutex_);
    std::uniform_int_distribution<std::size_t> pick(0, candidates.size() - 1);
    chosen = candidates[pick(random_)];
  }
  try {
    history_.record_draw(channel, chosen->category, chosen->id, user_id, clock_.now());
  } catch (const store::StoreError& error) {
    spdlog::warn("prompt rotation: could not record a draw ({})", error.what());
  }
  return *chosen;
}

}  // namespace ff
