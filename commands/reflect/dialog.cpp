#include "commands/reflect/dialog.hpp"

#include <algorithm>
#include <cctype>

#include "bot/slack/mrkdwn.hpp"
#include "commands/people.hpp"

namespace ff::commands::reflect {
namespace {

using nlohmann::json;

// Lower case, without the spaces and end punctuation people add: "Back!"
// and " back " steer the same way.
std::string normalized(const std::string& text) {
  std::string out;
  for (const unsigned char c : trimmed(text)) {
    out += static_cast<char>(std::tolower(c));
  }
  while (!out.empty() && (out.back() == '.' || out.back() == '!' || out.back() == '?')) {
    out.pop_back();
  }
  return std::string(trimmed(out));
}

void replace_all(std::string& text, const std::string& what, const std::string& with) {
  for (std::size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
}

// The next code point of UTF-8 text at `at` (advanced past it); U+FFFD for
// a byte that starts no valid sequence.
char32_t next_code_point(const std::string& text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char first = byte(at);
  int length = first < 0x80           ? 1
               : (first >> 5) == 0x6  ? 2
               : (first >> 4) == 0xE  ? 3
               : (first >> 3) == 0x1E ? 4
                                      : 0;
  if (length == 0 || at + static_cast<std::size_t>(length) > text.size()) {
    ++at;
    return 0xFFFD;
  }
  char32_t point = length == 1 ? first : first & (0x7F >> length);
  for (int i = 1; i < length; ++i) {
    if ((byte(at + static_cast<std::size_t>(i)) >> 6) != 0x2) {
      ++at;
      return 0xFFFD;
    }
    point = (point << 6) | (byte(at + static_cast<std::size_t>(i)) & 0x3F);
  }
  at += static_cast<std::size_t>(length);
  return point;
}

// Pictographs, symbols, their joiners, variation selectors and skin tones.
bool is_emoji_part(char32_t c) {
  return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
         (c >= 0x2190 && c <= 0x21FF) || (c >= 0x2300 && c <= 0x23FF) ||
         (c >= 0x2B00 && c <= 0x2BFF) || (c >= 0x25A0 && c <= 0x25FF) ||
         (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0020 && c <= 0xE007F) || c == 0x200D ||
         c == 0x20E3 || c == 0x00A9 || c == 0x00AE || c == 0x203C || c == 0x2049 || c == 0x2122 ||
         c == 0x2139 || c == 0x3030 || c == 0x303D || c == 0x3297 || c == 0x3299;
}

}  // namespace

Steer steer_of(const std::string& text) {
  const std::string words = normalized(text);
  if (words == "back" || words == "go back" || words == "previous") return Steer::kBack;
  if (words == "skip" || words == "pass") return Steer::kSkip;
  if (words == "cancel" || words == "stop" || words == "quit") return Steer::kCancel;
  if (words == "help") return Steer::kHelp;
  if (words == "where am i" || words == "where" || words == "status") return Steer::kWhere;
  if (words == "done" || words == "that's all" || words == "that is all" || words == "finished") {
    return Steer::kDone;
  }
  return Steer::kAnswer;
}

std::optional<std::string> choice_named(const FlowStep& step, const std::string& words) {
  const std::string wanted = normalized(words);
  for (const auto& choice : step.choices) {
    if (normalized(choice.label) == wanted || choice.value == wanted) return choice.value;
  }
  return std::nullopt;
}

bool only_emoji(const std::string& text) {
  std::size_t at = 0;
  bool any = false;
  while (at < text.size()) {
    const char c = text[at];
    if (c == ':') {
      // A shortcode such as :tada: or :+1::skin-tone-2:
      const auto end = text.find(':', at + 1);
      if (end != std::string::npos && end > at + 1 &&
          std::all_of(text.begin() + static_cast<std::ptrdiff_t>(at + 1),
                      text.begin() + static_cast<std::ptrdiff_t>(end), [](char k) {
                        return std::isalnum(static_cast<unsigned char>(k)) || k == '_' ||
                               k == '-' || k == '+' || k == '\'';
                      })) {
        at = end + 1;
        any = true;
        continue;
      }
    }
    const char32_t point = next_code_point(text, at);
    if (point < 0x80) {
      if (std::isalnum(static_cast<int>(point))) return false;
      continue;  // spaces and punctuation
    }
    if (!is_emoji_part(point)) return false;
    any = true;
  }
  return any;
}

DialogState::DialogState(const Flow& flow, store::DialogSession session)
    : flow_(&flow), session_(std::move(session)) {
  if (!session_.answers.is_object()) session_.answers = json::object();
  if (session_.step < 0 || session_.step >= static_cast<int>(flow_->steps.size())) {
    session_.step = 0;  // a flow changed under a dialog: start it from the top
  }
}

store::DialogSession DialogState::begin(const Flow& flow, const std::string& user_id,
                                        std::int64_t reflection_id, const std::string& question,
                                        std::int64_t nudge_id, store::TimePoint now) {
  store::DialogSession session;
  session.user_id = user_id;
  session.script = flow.id;
  session.step = 0;
  session.answers = {{"r", reflection_id},
                     {"a", json::object()},
                     {"p", json::array()},
                     {"i", 0},
                     {"seen", json::array()}};
  if (!question.empty()) session.answers["q"] = question;
  if (nudge_id != 0) session.answers["n"] = nudge_id;
  session.started_at = now;
  session.updated_at = now;
  return session;
}

json& DialogState::data() {
  return session_.answers;
}
const json& DialogState::data() const {
  return session_.answers;
}

const FlowStep& DialogState::step() const {
  return flow_->steps.at(static_cast<std::size_t>(session_.step));
}

Position DialogState::position() const {
  return {session_.step, data().value("i", 0)};
}

std::int64_t DialogState::reflection_id() const {
  return data().value("r", std::int64_t{0});
}

std::int64_t DialogState::nudge_id() const {
  return data().value("n", std::int64_t{0});
}

bool DialogState::paused() const {
  return data().value("x", false);
}

void DialogState::set_paused(bool paused) {
  data()["x"] = paused;
}

std::size_t DialogState::passed() const {
  const auto it = data().find("p");
  return it != data().end() && it->is_array() ? it->size() : 0;
}

std::string DialogState::starting_question() const {
  return data().value("q", "");
}

int DialogState::items_of(const std::string& list_step_id) const {
  const auto answers = data().find("a");
  if (answers == data().end() || !answers->is_object()) return 0;
  const auto list = answers->find(list_step_id);
  return list != answers->end() && list->is_array() ? static_cast<int>(list->size()) : 0;
}

std::vector<std::string> DialogState::items() const {
  std::vector<std::string> found;
  const auto answers = data().find("a");
  if (answers == data().end() || !answers->is_object()) return found;
  const auto list = answers->find(step().kind == StepKind::kEach ? step().of : step().id);
  if (list == answers->end() || !list->is_array()) return found;
  for (const auto& item : *list) {
    if (item.is_string()) found.push_back(item.get<std::string>());
  }
  return found;
}

std::string DialogState::question_text() const {
  std::string text = step().text;
  const std::string question = starting_question();
  replace_all(text, "{question}",
              question.empty() ? "What is on your mind?" : mrkdwn::escape(question));
  if (step().kind == StepKind::kEach) {
    const auto list = items();
    const int item = position().item;
    replace_all(text, "{item}",
                item < static_cast<int>(list.size())
                    ? mrkdwn::escape(list[static_cast<std::size_t>(item)])
                    : std::string("it"));
    replace_all(text, "{n}", std::to_string(item + 1));
  }
  return text;
}

std::string DialogState::earlier_answer() const {
  const auto answers = data().find("a");
  if (answers == data().end() || !answers->is_object()) return {};
  const auto found = answers->find(step().id);
  if (found == answers->end()) return {};
  if (step().kind == StepKind::kEach) {
    const auto item = static_cast<std::size_t>(position().item);
    if (found->is_array() && item < found->size() && (*found)[item].is_string()) {
      return (*found)[item].get<std::string>();
    }
    return {};
  }
  if (!found->is_string()) return {};
  if (step().kind == StepKind::kChoice) {
    for (const auto& choice : step().choices) {
      if (choice.value == found->get<std::string>()) return choice.label;
    }
  }
  return found->get<std::string>();
}

json& DialogState::answer_slot() {
  json& answers = data()["a"];
  if (!answers.is_object()) answers = json::object();
  return answers[step().id];
}

Turn DialogState::write(const std::string& raw) {
  std::string text(trimmed(raw));
  Turn turn;
  if (text.empty()) {
    turn.next = Turn::Next::kSame;
    turn.note = "I didn't find any words in that. Write your answer, or `skip`.";
    return turn;
  }
  if (step().kind == StepKind::kChoice) {
    if (const auto value = choice_named(step(), text)) return choose(*value);
    std::string names;
    for (std::size_t i = 0; i < step().choices.size(); ++i) {
      names += (i == 0                           ? ""
                : i + 1 == step().choices.size() ? " or "
                                                 : ", ") +
               std::string("*") + step().choices[i].label + "*";
    }
    turn.next = Turn::Next::kSame;
    turn.note = "Choose with a button, or write " + names + ".";
    return turn;
  }
  std::string cut_note;
  if (mrkdwn::char_count(text) > kAnswerLimit) {
    text = mrkdwn::truncate(text, kAnswerLimit);
    cut_note = "That was long, so I kept the first 2,500 characters.";
  }
  if (step().kind == StepKind::kList) {
    json& list = answer_slot();
    if (!list.is_array()) list = json::array();
    list.push_back(text);
    if (const int most = step().max_items; static_cast<int>(list.size()) >= most) {
      turn = advance({});
      turn.note = cut_note.empty() ? "That makes " + std::to_string(most) + "." : cut_note;
      return turn;
    }
    turn.next = Turn::Next::kListMore;
    turn.note = cut_note;
    return turn;
  }
  if (step().kind == StepKind::kEach) {
    json& list = answer_slot();
    if (!list.is_array()) list = json::array();
    const auto item = static_cast<std::size_t>(position().item);
    while (list.size() <= item) list.push_back(nullptr);
    list[item] = text;
  } else {
    answer_slot() = text;
  }
  turn = advance({});
  turn.note = cut_note;
  return turn;
}

Turn DialogState::choose(const std::string& value) {
  const auto& choices = step().choices;
  const bool known = step().kind == StepKind::kChoice &&
                     std::any_of(choices.begin(), choices.end(),
                                 [&](const FlowChoice& c) { return c.value == value; });
  if (!known) return {Turn::Next::kSame, "That choice belongs to another question."};
  answer_slot() = value;
  return advance(value);
}

Turn DialogState::back() {
  if (step().kind == StepKind::kList) {
    json& list = answer_slot();
    if (list.is_array() && !list.empty()) {
      const std::string last = list.back().is_string() ? list.back().get<std::string>() : "";
      list.erase(list.size() - 1);
      return {Turn::Next::kListMore,
              "I took out _" + mrkdwn::escape(mrkdwn::truncate(last, 200)) + "_."};
    }
    if (list.is_array()) data()["a"].erase(step().id);
  }
  json& passed = data()["p"];
  if (!passed.is_array() || passed.empty()) {
    return {Turn::Next::kSame, "This is the first question, so there is nothing to go back to."};
  }
  const json last = passed.back();
  passed.erase(passed.size() - 1);
  session_.step = last.at(0).get<int>();
  data()["i"] = last.at(1).get<int>();
  if (session_.step < 0 || session_.step >= static_cast<int>(flow_->steps.size())) enter(0);
  return {Turn::Next::kAsk, {}};
}

Turn DialogState::skip() {
  if (step().kind == StepKind::kEach) {
    json& list = answer_slot();
    if (!list.is_array()) list = json::array();
    const auto item = static_cast<std::size_t>(position().item);
    while (list.size() <= item) list.push_back(nullptr);
    list[item] = nullptr;
  } else if (step().kind != StepKind::kList) {
    data()["a"].erase(step().id);
  }
  return advance({});
}

Turn DialogState::done() {
  if (step().kind != StepKind::kList) return write("Done");
  const int have = items_of(step().id);
  if (have < step().min_items) {
    return {Turn::Next::kSame, "Name at least " + std::to_string(step().min_items) +
                                   " before we go on: you have " + std::to_string(have) +
                                   " so far. (Or `skip`.)"};
  }
  return advance({});
}

void DialogState::enter(int index) {
  session_.step = index;
  data()["i"] = 0;
}

Turn DialogState::advance(const std::string& choice_value) {
  const Position here = position();
  data()["p"].push_back({here.step, here.item});
  if (step().kind == StepKind::kEach && here.item + 1 < items_of(step().of)) {
    data()["i"] = here.item + 1;
    return {Turn::Next::kAsk, {}};
  }
  int next = flow_->next_after(here.step, choice_value);
  // An each-step whose list was skipped has nothing to ask about.
  while (next >= 0 && flow_->steps[static_cast<std::size_t>(next)].kind == StepKind::kEach &&
         items_of(flow_->steps[static_cast<std::size_t>(next)].of) == 0) {
    next = flow_->next_after(next);
  }
  if (next < 0) return {Turn::Next::kFinished, {}};
  enter(next);
  return {Turn::Next::kAsk, {}};
}

bool DialogState::seen(const std::string& ts) const {
  const auto it = data().find("seen");
  if (ts.empty() || it == data().end() || !it->is_array()) return false;
  return std::find(it->begin(), it->end(), json(ts)) != it->end();
}

void DialogState::remember(const std::string& ts) {
  if (ts.empty()) return;
  json& list = data()["seen"];
  if (!list.is_array()) list = json::array();
  list.push_back(ts);
  while (list.size() > kSeenMessages) list.erase(list.begin());
}

json DialogState::answers() const {
  const auto it = data().find("a");
  return it != data().end() && it->is_object() ? *it : json::object();
}

std::string DialogState::action() const {
  // The last one answered: a branch can end in an action of its own (the
  // colleague to follow, in place of the step one would lead).
  const json all = answers();
  std::string chosen;
  for (const auto& step : flow_->steps) {
    if (!step.action) continue;
    const auto found = all.find(step.id);
    if (found != all.end() && found->is_string()) chosen = found->get<std::string>();
  }
  return chosen;
}

}  // namespace ff::commands::reflect
