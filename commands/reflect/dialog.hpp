#pragma once

// One person's dialog under way, as a state machine over a flow: which
// question it is at, what was answered, and how each word or button moves
// it. Nothing here talks to Slack or the store; conversation.cpp does.

#include <optional>
#include <string>
#include <vector>

#include "bot/flows.hpp"
#include "bot/store/stores.hpp"

namespace ff::commands::reflect {

// The longest answer kept, in characters: a summary section (3,000) holds
// it with its label.
inline constexpr std::size_t kAnswerLimit = 2500;
// Message timestamps remembered, so a message delivered twice is applied once.
inline constexpr std::size_t kSeenMessages = 20;

// The words that steer a dialog at any step, besides answering.
enum class Steer { kAnswer, kBack, kSkip, kCancel, kHelp, kWhere, kDone };
Steer steer_of(const std::string& text);

struct Position {
  int step = 0;
  int item = 0;  // in an each-step, which item of its list
  bool operator==(const Position& other) const { return step == other.step && item == other.item; }
};

// What one input did, for the caller to say.
struct Turn {
  enum class Next {
    kAsk,        // the dialog is at a new question: ask it
    kListMore,   // an item was added (or taken out) of a list: say so, ask for more
    kSame,       // still at the same question: say `note`, ask it again
    kFinished,   // reached the end: the summary
    kCancelled,  // ended by the person, answers discarded
  };
  Next next = Next::kAsk;
  std::string note;  // said first: a cut answer, a refusal, the item taken out
};

// The dialog kept in store::DialogSession: the step is the session's, the
// rest lives in its answers object (answers by step id, the positions
// passed for `back`, the reflection it will become, the question it was
// started from).
class DialogState {
 public:
  DialogState(const Flow& flow, store::DialogSession session);
  static store::DialogSession begin(const Flow& flow, const std::string& user_id,
                                    std::int64_t reflection_id, const std::string& question,
                                    std::int64_t nudge_id, store::TimePoint now);

  const Flow& flow() const { return *flow_; }
  const store::DialogSession& session() const { return session_; }
  store::DialogSession& session() { return session_; }
  const FlowStep& step() const;
  Position position() const;
  std::int64_t reflection_id() const;
  std::int64_t nudge_id() const;
  bool paused() const;
  void set_paused(bool paused);
  // How many questions were answered or skipped on the way here.
  std::size_t passed() const;
  bool can_go_back() const { return passed() > 0; }

  // The question at the current position, placeholders filled in and every
  // piece of the person's text escaped for mrkdwn.
  std::string question_text() const;
  // What the person answered here before (on their way back), or empty.
  std::string earlier_answer() const;
  // The items of a list step so far.
  std::vector<std::string> items() const;

  // A message the person wrote; a choice (a button's value or its words).
  Turn write(const std::string& text);
  Turn choose(const std::string& value);
  Turn back();
  Turn skip();
  Turn done();

  // Whether a message with this ts was applied already; remembers it.
  bool seen(const std::string& ts) const;
  void remember(const std::string& ts);

  // The answers as the reflection keeps them, and the chosen action.
  nlohmann::json answers() const;
  std::string action() const;
  // The question the dialog was started from (a nudge's), or empty.
  std::string starting_question() const;

 private:
  nlohmann::json& data();
  const nlohmann::json& data() const;
  nlohmann::json& answer_slot();
  Turn advance(const std::string& choice_value);
  void enter(int index);
  int items_of(const std::string& list_step_id) const;

  const Flow* flow_;  // a pointer, so a state can be assigned
  store::DialogSession session_;
};

// The choice a person's words name in a choice step: its value, matched
// to a label or value without regard to case, or nullopt.
std::optional<std::string> choice_named(const FlowStep& step, const std::string& words);

// True for text that holds only emoji (Slack's :shortcodes: or the
// characters themselves), spaces and punctuation: no words to keep.
bool only_emoji(const std::string& text);

}  // namespace ff::commands::reflect
