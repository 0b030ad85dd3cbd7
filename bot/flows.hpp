#pragma once

// The private coaching dialogs as data: each flow a list of steps read from
// the prompt files ([[flow]] tables beside the [[prompt]] ones), validated
// as a whole at start so that a bad file stops the bot with the file and
// line, never a dialog that strands someone halfway.

#include <optional>
#include <string>
#include <vector>

namespace ff {

enum class StepKind {
  kText,    // one free-text answer
  kChoice,  // buttons; each choice may branch
  kList,    // several answers, one per message, until `done`
  kEach,    // one free-text answer per item of an earlier list step
};

// The step id a `next` names to end the dialog.
inline constexpr const char* kEndOfFlow = "end";

struct FlowChoice {
  std::string label;  // the button's text, at most 30 characters
  std::string value;  // what is kept as the answer; lower-case name
  std::string next;   // the step it leads to; empty: the step's own next
};

struct FlowStep {
  std::string id;
  StepKind kind = StepKind::kText;
  // The question. In an each-step, {item} stands for the item asked about
  // and {n} for its number; in any step, {question} for the question the
  // dialog was started from (a nudge's).
  std::string text;
  std::string hint;   // optional line under the question
  std::string label;  // what the summary calls the answer ("How things are"); text when empty
  // The step after this one: empty for the next one in the file, "end" to
  // end the dialog there.
  std::string next;
  std::vector<FlowChoice> choices;  // kChoice: two to five
  int min_items = 1;                // kList
  int max_items = 8;                // kList
  std::string of;                   // kEach: the id of an earlier list step
  // The answer is the person's chosen action: it stands out in the summary
  // and is what a follow-up asks about.
  bool action = false;
  // Something the bot offers beside the question: "initiatives" lists the
  // open initiatives that wait for the person's endorsement, with Endorse.
  std::string offer;
};

struct Flow {
  std::string id;
  std::string title;    // "Close a gap"
  std::string summary;  // one line saying what it is for
  // Offered by /reflect and listed in help; a flow that only something else
  // starts (a nudge's Reflect now) is not.
  bool listed = true;
  std::vector<FlowStep> steps;

  // The index of the step with this id, or -1.
  int index_of(const std::string& step_id) const;
  // The index of the step after `index` (taking `choice_value` in a choice
  // step; an empty or unknown value takes the step's own next), or -1 at
  // the end.
  int next_after(int index, const std::string& choice_value = {}) const;
};

// The dialog flows, loaded from the same files as the questions. Each file
// adds flows; a flow with the id of an earlier one replaces it whole, so a
// team's own file can add or override flows as it does questions.
// Refusals are PromptFileError, naming file and line: an unknown step kind
// or key, missing text, a duplicate flow or step id, a branch or `of` to a
// step that does not exist, a step no path reaches, a loop with no way out.
class FlowLibrary {
 public:
  static FlowLibrary load(const std::vector<std::string>& paths);
  static FlowLibrary parse(const std::string& toml_text, const std::string& source_name);

  const std::vector<Flow>& all() const { return flows_; }
  std::vector<const Flow*> listed() const;
  const Flow* by_id(const std::string& id) const;

 private:
  void merge(const std::string& toml_text, const std::string& source_name);

  std::vector<Flow> flows_;
};

}  // namespace ff
