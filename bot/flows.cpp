#include "bot/flows.hpp"

#include <algorithm>
#include <deque>
#include <set>

#include "bot/toml_checks.hpp"

namespace ff {
namespace {

using toml_checks::fail;
using toml_checks::is_name;
using toml_checks::required_text;

// Where a step's parts were in the file, kept while the file is parsed so
// that the checks of the whole flow can name the line of what is wrong.
struct StepNodes {
  const toml::table* table = nullptr;
  const toml::node* next = nullptr;            // may be null
  const toml::node* of = nullptr;              // kEach only
  std::vector<const toml::node*> choice_next;  // one per choice, may be null
};

const char* kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::kText:
      return "text";
    case StepKind::kChoice:
      return "choice";
    case StepKind::kList:
      return "list";
    case StepKind::kEach:
      return "each";
  }
  return "text";
}

// The number of characters (UTF-8 code points) in `s`.
std::size_t characters(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The string at `key` if there is one; empty if not.
std::string optional_text(const std::string& source, const toml::table& table, const char* key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return {};
  const auto* value = node->as_string();
  if (value == nullptr) fail(source, *node, std::string("'") + key + "' must be a string");
  return value->get();
}

bool optional_bool(const std::string& source, const toml::table& table, const char* key,
                   bool otherwise) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return otherwise;
  const auto* value = node->as_boolean();
  if (value == nullptr) fail(source, *node, std::string("'") + key + "' must be true or false");
  return value->get();
}

int optional_count(const std::string& source, const toml::table& table, const char* key,
                   int otherwise, int low, int high) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return otherwise;
  const auto* value = node->as_integer();
  if (value == nullptr) fail(source, *node, std::string("'") + key + "' must be a whole number");
  if (value->get() < low || value->get() > high) {
    fail(source, *node,
         std::string("'") + key + "' must be from " + std::to_string(low) + " to " +
             std::to_string(high));
  }
  return static_cast<int>(value->get());
}

void check_length(const std::string& source, const toml::table& table, const char* key,
                  const std::string& text, std::size_t most, const char* unit) {
  const std::size_t length = std::string(unit) == "bytes" ? text.size() : characters(text);
  if (length > most) {
    fail(source, *table.get(key),
         std::string("'") + key + "' is longer than " + std::to_string(most) + " " + unit);
  }
}

FlowChoice parse_choice(const std::string& source, const toml::node& entry) {
  const auto* table = entry.as_table();
  if (table == nullptr)
    fail(source, entry, "each choice must be a table { label = ..., value = ... }");
  toml_checks::refuse_unknown_keys(source, *table, {"label", "value", "next"});
  FlowChoice choice;
  choice.label = required_text(source, *table, "label");
  check_length(source, *table, "label", choice.label, 30, "characters");
  choice.value = required_text(source, *table, "value");
  if (!is_name(choice.value)) {
    fail(source, *table->get("value"),
         "choice value '" + choice.value + "' must be lower-case letters, digits, - or _");
  }
  choice.next = optional_text(source, *table, "next");
  return choice;
}

FlowStep parse_step(const std::string& source, const std::string& flow_id, const toml::table& table,
                    StepNodes& nodes) {
  toml_checks::refuse_unknown_keys(source, table,
                                   {"id", "kind", "text", "hint", "label", "next", "action",
                                    "offer", "choices", "min", "max", "of"});
  FlowStep step;
  step.id = required_text(source, table, "id");
  if (!is_name(step.id)) {
    fail(source, *table.get("id"),
         "step id '" + step.id + "' must be lower-case letters, digits, - or _");
  }
  if (step.id == kEndOfFlow) {
    fail(source, *table.get("id"),
         std::string("step id '") + kEndOfFlow + "' is kept for the end of the dialog");
  }

  const std::string kind = required_text(source, table, "kind");
  if (kind == "text") {
    step.kind = StepKind::kText;
  } else if (kind == "choice") {
    step.kind = StepKind::kChoice;
  } else if (kind == "list") {
    step.kind = StepKind::kList;
  } else if (kind == "each") {
    step.kind = StepKind::kEach;
  } else {
    fail(source, *table.get("kind"),
         "step '" + step.id + "' of flow '" + flow_id + "' has unknown kind '" + kind +
             "' (text, choice, list or each)");
  }
  // The keys that belong to one kind of step only.
  static const std::pair<const char*, StepKind> kind_keys[] = {{"choices", StepKind::kChoice},
                                                               {"min", StepKind::kList},
                                                               {"max", StepKind::kList},
                                                               {"of", StepKind::kEach}};
  for (const auto& [key, owner] : kind_keys) {
    if (const toml::node* node = table.get(key); node != nullptr && step.kind != owner) {
      fail(source, *node,
           std::string("'") + key + "' is only for " + kind_name(owner) + " steps; step '" +
               step.id + "' is a " + kind + " step");
    }
  }

  step.text = required_text(source, table, "text");
  check_length(source, table, "text", step.text, 500, "bytes");
  step.hint = optional_text(source, table, "hint");
  step.label = optional_text(source, table, "label");
  check_length(source, table, "label", step.label, 40, "bytes");
  step.next = optional_text(source, table, "next");
  nodes.next = table.get("next");
  step.action = optional_bool(source, table, "action", false);
  step.offer = optional_text(source, table, "offer");
  if (!step.offer.empty() && step.offer != "initiatives") {
    fail(source, *table.get("offer"),
         "unknown offer '" + step.offer + "' (the only one is 'initiatives')");
  }

  switch (step.kind) {
    case StepKind::kChoice: {
      const toml::node* node = table.get("choices");
      if (node == nullptr) fail(source, table, "choice step '" + step.id + "' needs 'choices'");
      const auto* list = node->as_array();
      if (list == nullptr) fail(source, *node, "'choices' must be an array of tables");
      if (list->size() < 2 || list->size() > 5)
        fail(source, *node, "choice step '" + step.id + "' needs two to five choices");
      std::set<std::string> values;
      for (const toml::node& entry : *list) {
        step.choices.push_back(parse_choice(source, entry));
        if (!values.insert(step.choices.back().value).second) {
          fail(source, entry,
               "choice value '" + step.choices.back().value + "' is used twice in step '" +
                   step.id + "'");
        }
        nodes.choice_next.push_back(entry.as_table()->get("next"));
      }
      break;
    }
    case StepKind::kList:
      step.min_items = optional_count(source, table, "min", 1, 1, 10);
      step.max_items = optional_count(source, table, "max", 8, 1, 10);
      if (step.max_items < step.min_items) {
        const toml::node* node = table.get("max") ? table.get("max") : table.get("min");
        fail(source, *node,
             "list step '" + step.id + "' has 'max' (" + std::to_string(step.max_items) +
                 ") below 'min' (" + std::to_string(step.min_items) + ")");
      }
      break;
    case StepKind::kEach:
      step.of = required_text(source, table, "of");
      nodes.of = table.get("of");
      break;
    case StepKind::kText:
      break;
  }
  return step;
}

// The checks that need the whole flow: where each `next` and `of` lead, that
// every step can be reached and that the end can be reached from each.
void check_paths(const std::string& source, const Flow& flow, const std::vector<StepNodes>& nodes) {
  const int count = static_cast<int>(flow.steps.size());
  auto check_target = [&](const std::string& target, const toml::node* node,
                          const std::string& step_id) {
    if (target.empty() || target == kEndOfFlow || flow.index_of(target) >= 0) return;
    fail(source, *node,
         "step '" + step_id + "' goes on to '" + target + "', which flow '" + flow.id +
             "' does not have (a step id or '" + kEndOfFlow + "')");
  };
  for (int i = 0; i < count; ++i) {
    const FlowStep& step = flow.steps[i];
    check_target(step.next, nodes[i].next, step.id);
    for (std::size_t c = 0; c < step.choices.size(); ++c)
      check_target(step.choices[c].next, nodes[i].choice_next[c], step.id);
    if (step.kind == StepKind::kEach) {
      const int list = flow.index_of(step.of);
      if (list < 0) {
        fail(source, *nodes[i].of,
             "step '" + step.id + "' asks about '" + step.of + "', which flow '" + flow.id +
                 "' does not have");
      }
      if (flow.steps[list].kind != StepKind::kList) {
        fail(source, *nodes[i].of,
             "step '" + step.id + "' asks about '" + step.of + "', which is not a list step");
      }
      if (list > i) {
        fail(source, *nodes[i].of,
             "step '" + step.id + "' asks about '" + step.of +
                 "', which comes after it; 'of' must name an earlier list step");
      }
    }
  }

  // Where each step can go: other steps, and whether it can end the dialog.
  std::vector<std::vector<int>> edges(count);
  std::vector<bool> ends(count, false);
  for (int i = 0; i < count; ++i) {
    const FlowStep& step = flow.steps[i];
    std::vector<std::string> values;
    for (const auto& choice : step.choices) values.push_back(choice.value);
    if (values.empty()) values.emplace_back();
    for (const auto& value : values) {
      const int to = flow.next_after(i, value);
      if (to < 0) {
        ends[i] = true;
      } else {
        edges[i].push_back(to);
      }
    }
  }

  std::vector<bool> reached(count, false);
  std::deque<int> queue{0};
  reached[0] = true;
  while (!queue.empty()) {
    const int at = queue.front();
    queue.pop_front();
    for (int to : edges[at]) {
      if (!reached[to]) {
        reached[to] = true;
        queue.push_back(to);
      }
    }
  }
  for (int i = 0; i < count; ++i) {
    if (!reached[i]) {
      fail(source, *nodes[i].table,
           "step '" + flow.steps[i].id + "' of flow '" + flow.id + "' can never be reached");
    }
  }

  // Backwards from the steps that end: whatever cannot get there is stuck.
  std::vector<bool> finishes = ends;
  for (bool changed = true; changed;) {
    changed = false;
    for (int i = 0; i < count; ++i) {
      if (finishes[i]) continue;
      if (std::any_of(edges[i].begin(), edges[i].end(), [&](int to) { return finishes[to]; })) {
        finishes[i] = true;
        changed = true;
      }
    }
  }
  // A stuck step's ways on all lead to stuck steps, so walking from the
  // first one comes round to a step of the loop itself: that one is named.
  const auto stuck = std::find(finishes.begin(), finishes.end(), false);
  if (stuck == finishes.end()) return;
  std::vector<bool> seen(count, false);
  int at = static_cast<int>(stuck - finishes.begin());
  while (!seen[at]) {
    seen[at] = true;
    at = edges[at].front();
  }
  fail(source, *nodes[at].table,
       "flow '" + flow.id + "' loops at step '" + flow.steps[at].id + "' with no way out");
}

Flow parse_flow(const std::string& source, const toml::table& table) {
  toml_checks::refuse_unknown_keys(source, table, {"id", "title", "summary", "listed", "step"});
  Flow flow;
  flow.id = required_text(source, table, "id");
  if (!is_name(flow.id)) {
    fail(source, *table.get("id"),
         "flow id '" + flow.id + "' must be lower-case letters, digits, - or _");
  }
  flow.title = required_text(source, table, "title");
  check_length(source, table, "title", flow.title, 60, "bytes");
  flow.summary = required_text(source, table, "summary");
  if (flow.summary.find('\n') != std::string::npos)
    fail(source, *table.get("summary"), "'summary' must be one line");
  check_length(source, table, "summary", flow.summary, 150, "bytes");
  flow.listed = optional_bool(source, table, "listed", true);

  const toml::node* steps_node = table.get("step");
  if (steps_node == nullptr) fail(source, table, "flow '" + flow.id + "' has no steps");
  const auto* steps = steps_node->as_array();
  if (steps == nullptr)
    fail(source, *steps_node, "'step' must be an array of tables ([[flow.step]])");
  if (steps->empty()) fail(source, *steps_node, "flow '" + flow.id + "' has no steps");
  std::vector<StepNodes> nodes;
  for (const toml::node& entry : *steps) {
    const auto* step_table = entry.as_table();
    if (step_table == nullptr) fail(source, entry, "each [[flow.step]] must be a table");
    StepNodes where;
    where.table = step_table;
    FlowStep step = parse_step(source, flow.id, *step_table, where);
    if (flow.index_of(step.id) >= 0) {
      fail(source, *step_table->get("id"),
           "step id '" + step.id + "' is used twice in flow '" + flow.id + "'");
    }
    flow.steps.push_back(std::move(step));
    nodes.push_back(where);
  }
  check_paths(source, flow, nodes);
  return flow;
}

}  // namespace

int Flow::index_of(const std::string& step_id) const {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].id == step_id) return static_cast<int>(i);
  }
  return -1;
}

int Flow::next_after(int index, const std::string& choice_value) const {
  if (index < 0 || index >= static_cast<int>(steps.size())) return -1;
  const FlowStep& step = steps[index];
  std::string next = step.next;
  if (step.kind == StepKind::kChoice && !choice_value.empty()) {
    for (const auto& choice : step.choices) {
      if (choice.value == choice_value && !choice.next.empty()) next = choice.next;
    }
  }
  if (next.empty()) return index + 1 < static_cast<int>(steps.size()) ? index + 1 : -1;
  if (next == kEndOfFlow) return -1;
  return index_of(next);
}

FlowLibrary FlowLibrary::load(const std::vector<std::string>& paths) {
  FlowLibrary library;
  for (const auto& path : paths) library.merge(toml_checks::read_file(path), path);
  return library;
}

FlowLibrary FlowLibrary::parse(const std::string& toml_text, const std::string& source_name) {
  FlowLibrary library;
  library.merge(toml_text, source_name);
  return library;
}

void FlowLibrary::merge(const std::string& toml_text, const std::string& source) {
  const toml::table root = toml_checks::parse(toml_text, source);
  const toml::node* flows_node = root.get("flow");
  if (flows_node == nullptr) return;
  const auto* flows = flows_node->as_array();
  if (flows == nullptr) fail(source, *flows_node, "'flow' must be an array of tables ([[flow]])");
  std::set<std::string> ids_in_file;
  for (const toml::node& entry : *flows) {
    const auto* table = entry.as_table();
    if (table == nullptr) fail(source, entry, "each [[flow]] must be a table");
    Flow flow = parse_flow(source, *table);
    if (!ids_in_file.insert(flow.id).second)
      fail(source, *table->get("id"), "flow id '" + flow.id + "' is used twice");
    auto existing =
        std::find_if(flows_.begin(), flows_.end(), [&](const Flow& f) { return f.id == flow.id; });
    if (existing != flows_.end()) {
      *existing = std::move(flow);
    } else {
      flows_.push_back(std::move(flow));
    }
  }
}

std::vector<const Flow*> FlowLibrary::listed() const {
  std::vector<const Flow*> found;
  for (const auto& flow : flows_) {
    if (flow.listed) found.push_back(&flow);
  }
  return found;
}

const Flow* FlowLibrary::by_id(const std::string& id) const {
  auto it = std::find_if(flows_.begin(), flows_.end(), [&](const Flow& f) { return f.id == id; });
  return it == flows_.end() ? nullptr : &*it;
}

}  // namespace ff
