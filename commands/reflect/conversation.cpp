// The conversation: starting a dialog, each answer a plain DM message, the
// buttons under each question, and pausing a dialog left alone. Every
// change is saved with the version it was read at, so two messages handled
// at once (on two instances) are applied one after the other, each once.
#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/initiative/initiative.hpp"
#include "commands/people.hpp"
#include "commands/reflect/parts.hpp"

namespace ff::commands::reflect {
namespace {

using nlohmann::json;

constexpr int kSaveAttempts = 8;
constexpr const char* kExpiryKey = "reflect-expire:";

const char* const kSteeringHelp =
    "Answer each question in a message to me. These words work at every question: `back` "
    "(the one before), `skip`, `cancel`, `where am I` and `help`; in a list, `done` when you "
    "have named enough. Editing a message you already sent doesn't change your answer: write "
    "`back` to answer again. What you write stays yours: nobody else sees it, admins included.";

json position_value(const DialogState& state) {
  return {{"r", state.reflection_id()}, {"s", state.position().step}, {"i", state.position().item}};
}

std::string where_in_words(const DialogState& state) {
  std::string words = "*" + mrkdwn::escape(state.flow().title) + "* · step " +
                      std::to_string(state.position().step + 1) + " of " +
                      std::to_string(state.flow().steps.size());
  if (state.step().kind == StepKind::kEach) {
    words += " · " + std::to_string(state.position().item + 1) + " of " +
             std::to_string(state.items().size());
  }
  return words;
}

// The buttons every question has, besides its own; Done first in a list
// that has enough items.
std::vector<json> steering_buttons(const DialogState& state) {
  const std::string value = position_value(state).dump();
  std::vector<json> buttons;
  if (state.step().kind == StepKind::kList &&
      static_cast<int>(state.items().size()) >= state.step().min_items) {
    buttons.push_back(blocks::button("Done", kDoneAction, value, blocks::ButtonStyle::kPrimary));
  }
  if (state.can_go_back() || !state.items().empty()) {
    buttons.push_back(blocks::button("Back", kBackAction, value));
  }
  buttons.push_back(blocks::button("Skip", kSkipAction, value));
  buttons.push_back(blocks::button("Help", kHelpAction, value));
  buttons.push_back(blocks::button("Cancel", kCancelAction, value, blocks::ButtonStyle::kDanger));
  return buttons;
}

Message question_message(const DialogState& state, const std::string& note) {
  const FlowStep& step = state.step();
  Message m;
  m.text = state.flow().title + ": " + state.question_text();
  if (!note.empty()) m.add(blocks::section(note));
  m.add(blocks::context({where_in_words(state)}));
  m.add(blocks::section("*" + state.question_text() + "*"));
  std::vector<std::string> under;
  if (!step.hint.empty()) under.push_back(step.hint);
  if (const auto earlier = state.earlier_answer(); !earlier.empty()) {
    under.push_back("Before, you answered: _" + mrkdwn::escape(mrkdwn::truncate(earlier, 300)) +
                    "_. Write a new answer, or `skip` to leave it out.");
  }
  if (step.kind == StepKind::kList) {
    const auto items = state.items();
    if (!items.empty()) {
      std::string so_far = "So far:";
      for (const auto& item : items) so_far += "\n• " + mrkdwn::escape(mrkdwn::truncate(item, 200));
      under.push_back(so_far);
    }
    if (step.hint.empty()) {
      under.push_back("One per message; `done` when you have named " +
                      std::to_string(step.min_items) + " or more.");
    }
  }
  if (!under.empty()) m.add(blocks::context(under));
  if (step.kind == StepKind::kChoice) {
    std::vector<json> choices;
    for (const auto& choice : step.choices) {
      json value = position_value(state);
      value["v"] = choice.value;
      choices.push_back(blocks::button(choice.label, kChoiceAction, value.dump()));
    }
    m.add(blocks::actions("reflect_choices", std::move(choices)));
  }
  m.add(blocks::actions("reflect_steering", steering_buttons(state)));
  return m;
}

// After an item of a list: how many so far, and Done once there are enough.
Message list_message(const DialogState& state, const std::string& note) {
  const auto items = state.items();
  const int have = static_cast<int>(items.size());
  const int needed = state.step().min_items;
  Message m;
  std::string text = note.empty() ? std::string() : note + " ";
  if (have == 0) {
    text += "The list is empty now. Name one in a message.";
  } else {
    text += ":white_check_mark: " + std::to_string(have) + " so far. ";
    text += have >= needed ? std::string("Another one, or `done`.")
                           : "Another one: at least " + std::to_string(needed) + " in all.";
  }
  m.text = text;
  m.add(blocks::section(text));
  m.add(blocks::actions("reflect_steering", steering_buttons(state)));
  return m;
}

Message paused_message(const DialogState& state) {
  Message m;
  m.text = "Your reflection is paused";
  m.add(blocks::section(":hourglass_flowing_sand: Your reflection *" +
                        mrkdwn::escape(state.flow().title) +
                        "* is paused where you left it. Pick it up whenever you like: what you "
                        "wrote so far is kept, and only you can see it."));
  const std::string value = json{{"r", state.reflection_id()}}.dump();
  m.add(blocks::actions("reflect_paused", {blocks::button("Resume", kResumeAction, value,
                                                          blocks::ButtonStyle::kPrimary),
                                           blocks::button("Let it go", kLetGoAction, value)}));
  return m;
}

void schedule_expiry(const ReflectServices& services, const DialogState& state, TimePoint due) {
  store::NewJob job;
  job.kind = kDialogExpiryJob;
  job.due = due;
  job.grace = std::chrono::hours{24 * 7};
  job.payload = {{"u", state.session().user_id}, {"r", state.reflection_id()}};
  job.unique_key = kExpiryKey + state.session().user_id + ":" +
                   std::to_string(state.reflection_id()) + ":" +
                   std::to_string(store::to_millis(due));
  job.subject_user = state.session().user_id;
  services.jobs.schedule(job);
}

void offer_initiatives(const ReflectServices& services, const DialogState& state) {
  if (state.step().offer != "initiatives") return;
  const std::string& user = state.session().user_id;
  const auto waiting = services.initiatives.awaiting_endorsement(user);
  if (waiting.empty()) return;
  constexpr std::size_t kOffered = 3;
  for (std::size_t i = 0; i < waiting.size() && i < kOffered; ++i) {
    services.slack.post_message(user, endorsement_request(waiting[i], user));
  }
  if (waiting.size() > kOffered) {
    services.slack.post_message(
        user, Message::plain("And " + std::to_string(waiting.size() - kOffered) +
                             " more wait for you: `/initiative list` in their channels."));
  }
}

// What an input changed, after it was saved.
struct Applied {
  std::optional<DialogState> state;  // as saved (or as read, when nothing changed)
  Turn turn;
  bool saved = false;
  bool resumed = false;  // it was paused, and the press took it up again
};

// Applies `change` to the person's dialog and saves it, reading it anew
// whenever another instance (or thread) saved it in between. `change`
// returns nullopt when there is nothing to save (a stale press, help).
template <typename Change>
Applied apply(const ReflectServices& services, const std::string& user_id, Change change) {
  Applied applied;
  for (int attempt = 0; attempt < kSaveAttempts; ++attempt) {
    applied = Applied{};
    applied.state = dialog_of(services, user_id);
    if (!applied.state) return applied;
    DialogState& state = *applied.state;
    const bool was_paused = state.paused();
    const auto turn = change(state);
    if (!turn) return applied;
    applied.turn = *turn;
    if (was_paused && !state.paused()) applied.resumed = true;
    state.session().updated_at = services.clock.now();
    if (services.dialogs.save_dialog(state.session())) {
      ++state.session().version;
      applied.saved = true;
      return applied;
    }
  }
  spdlog::warn("dialog of {}: gave up after {} conflicting saves", user_id, kSaveAttempts);
  applied.state.reset();
  return applied;
}

void finish(const ReflectServices& services, const DialogState& state) {
  const std::string& user = state.session().user_id;
  cancel_expiry(services, user);
  auto reflection = services.reflections.reflection(state.reflection_id());
  if (!reflection) {
    store::Reflection fresh;
    fresh.user_id = user;
    fresh.flow = state.flow().id;
    fresh.started_at = state.session().started_at;
    fresh.id = services.reflections.start_reflection(fresh);
    reflection = fresh;
  }
  reflection->state = "completed";
  reflection->answers = state.answers();
  if (!state.starting_question().empty())
    reflection->answers["_question"] = state.starting_question();
  reflection->action = state.action();
  reflection->ended_at = services.clock.now();
  services.reflections.update_reflection(*reflection);
  services.dialogs.remove_dialog(user);
  if (state.nudge_id() != 0) {
    // The nudge counts as answered; its text stays in the reflection.
    services.nudge_log.set_nudge_outcome(state.nudge_id(), "answered", services.clock.now());
  }
  spdlog::info("dialog {} of {} completed (reflection {})", state.flow().id, user, reflection->id);
  services.slack.post_message(user, summary_message(services, *reflection, true));
}

// Ends the dialog without keeping what was written in it.
void discard(const ReflectServices& services, const DialogState& state, const std::string& as) {
  const std::string& user = state.session().user_id;
  cancel_expiry(services, user);
  if (auto reflection = services.reflections.reflection(state.reflection_id())) {
    reflection->state = as;
    reflection->answers = json::object();
    reflection->ended_at = services.clock.now();
    services.reflections.update_reflection(*reflection);
  }
  services.dialogs.remove_dialog(user);
  spdlog::info("dialog {} of {} {} (reflection {})", state.flow().id, user, as,
               state.reflection_id());
}

void reopen_reflection(const ReflectServices& services, const DialogState& state) {
  if (auto reflection = services.reflections.reflection(state.reflection_id())) {
    reflection->state = "open";
    reflection->ended_at.reset();
    services.reflections.update_reflection(*reflection);
  }
  schedule_expiry(services, state, services.clock.now() + services.dialog_settings.expire_after);
}

// Says what an applied input did: the next question, the list so far, the
// summary, or the note and the same question again.
void follow_through(const ReflectServices& services, const Applied& applied) {
  if (!applied.state) return;
  const DialogState& state = *applied.state;
  const std::string& user = state.session().user_id;
  if (applied.resumed) reopen_reflection(services, state);
  switch (applied.turn.next) {
    case Turn::Next::kFinished:
      if (!applied.turn.note.empty())
        services.slack.post_message(user, Message::plain(applied.turn.note));
      finish(services, state);
      return;
    case Turn::Next::kCancelled:
      discard(services, state, "cancelled");
      services.slack.post_message(
          user, Message::plain(":wave: Cancelled. Nothing you wrote in it is kept. `/reflect` "
                               "starts a new one whenever you like."));
      return;
    case Turn::Next::kListMore:
      services.slack.post_message(user, list_message(state, applied.turn.note));
      return;
    case Turn::Next::kAsk:
    case Turn::Next::kSame:
      services.slack.post_message(user, question_message(state, applied.turn.note));
      if (applied.turn.next == Turn::Next::kAsk) offer_initiatives(services, state);
      return;
  }
}

// A message the person wrote in their DM, while a dialog is under way.
void on_message(const ReflectServices& services, const Event& event) {
  bool paused = false;
  bool repeated = false;
  const auto applied = apply(services, event.user, [&](DialogState& state) -> std::optional<Turn> {
    if (state.paused()) {
      paused = true;
      return std::nullopt;
    }
    if (state.seen(event.ts)) {
      // Delivered again (after a crash): applied already; ask again.
      repeated = true;
      return std::nullopt;
    }
    state.remember(event.ts);
    if (event.subtype == "file_share" && trimmed(event.text).empty()) {
      return Turn{Turn::Next::kSame,
                  "I can only read words, not files. Write your answer in a message, or `skip`."};
    }
    switch (steer_of(event.text)) {
      case Steer::kBack:
        return state.back();
      case Steer::kSkip:
        return state.skip();
      case Steer::kCancel:
        return Turn{Turn::Next::kCancelled, {}};
      case Steer::kDone:
        return state.done();
      case Steer::kHelp:
        return Turn{Turn::Next::kSame, kSteeringHelp};
      case Steer::kWhere:
        return Turn{Turn::Next::kSame, "You are in " + where_in_words(state) + "."};
      case Steer::kAnswer:
        break;
    }
    if (state.step().kind != StepKind::kChoice && only_emoji(event.text)) {
      return Turn{Turn::Next::kSame,
                  "Only an emoji? I'd like a few words: write your answer, or `skip`."};
    }
    return state.write(event.text);
  });
  if (!applied.state) return;
  if (paused) {
    services.slack.post_message(event.user, paused_message(*applied.state));
    return;
  }
  if (repeated) {
    services.slack.post_message(event.user, question_message(*applied.state, {}));
    return;
  }
  follow_through(services, applied);
}

// A press on one of a question's buttons; `steer` moves the dialog.
Reply on_press(const ReflectServices& services, const BlockAction& action,
               const std::function<Turn(DialogState&, const json&)>& steer) {
  const json value = json::parse(action.value, nullptr, false);
  if (!value.is_object() || !value["r"].is_number_integer() || !value["s"].is_number_integer() ||
      !value["i"].is_number_integer()) {
    return say("That button looks altered, so I ignored it.");
  }
  bool ended = false;   // the button is from a dialog that has ended
  bool behind = false;  // from an earlier question of this one
  const auto applied =
      apply(services, action.user_id, [&](DialogState& state) -> std::optional<Turn> {
        if (state.reflection_id() != value["r"].get<std::int64_t>()) {
          ended = true;
          return std::nullopt;
        }
        if (!(state.position() == Position{value["s"].get<int>(), value["i"].get<int>()})) {
          behind = true;
          return std::nullopt;
        }
        state.set_paused(false);
        return steer(state, value);
      });
  if (!applied.state || ended) {
    return say("That button belongs to a dialog that has ended. `/reflect` starts a new one.");
  }
  if (behind) {
    services.slack.post_message(
        action.user_id,
        question_message(*applied.state, "That question is behind us. Here is where we are:"));
    return Reply::none();
  }
  follow_through(services, applied);
  return Reply::none();
}

Reply resume(const ReflectServices& services, const BlockAction& action) {
  const json value = json::parse(action.value, nullptr, false);
  const std::int64_t wanted = value.is_object() ? value.value("r", std::int64_t{0}) : 0;
  const auto applied =
      apply(services, action.user_id, [&](DialogState& state) -> std::optional<Turn> {
        if (state.reflection_id() != wanted) return std::nullopt;
        state.set_paused(false);
        return Turn{Turn::Next::kSame, ":arrow_forward: Where we left off:"};
      });
  if (!applied.state || applied.state->reflection_id() != wanted) {
    return say("That dialog has ended. `/reflect` starts a new one.");
  }
  if (!applied.saved) return Reply::none();
  reopen_reflection(services, *applied.state);
  services.slack.post_message(action.user_id, question_message(*applied.state, applied.turn.note));
  return Reply::none();
}

Reply let_go(const ReflectServices& services, const BlockAction& action) {
  const json value = json::parse(action.value, nullptr, false);
  const std::int64_t wanted = value.is_object() ? value.value("r", std::int64_t{0}) : 0;
  const auto applied =
      apply(services, action.user_id, [&](DialogState& state) -> std::optional<Turn> {
        if (state.reflection_id() != wanted) return std::nullopt;
        return Turn{Turn::Next::kCancelled, {}};
      });
  if (!applied.state || !applied.saved) {
    return say("That dialog has ended already.");
  }
  discard(services, *applied.state, applied.state->paused() ? "expired" : "cancelled");
  Reply reply = say("Let go. Nothing you wrote in it is kept. `/reflect` starts a new one.");
  reply.message->replace_original = true;
  return reply;
}

}  // namespace

Reply say(const std::string& text) {
  return Reply::with(Message::plain(text));
}

std::optional<DialogState> dialog_of(const ReflectServices& services, const std::string& user_id) {
  auto session = services.dialogs.dialog(user_id);
  if (!session) return std::nullopt;
  const Flow* flow = services.prompts.flows().by_id(session->script);
  if (flow == nullptr) {
    // Its flow was removed from the prompt files since: nothing to go on with.
    spdlog::warn("dialog of {} follows flow '{}', which is no longer installed; ended", user_id,
                 session->script);
    services.dialogs.remove_dialog(user_id);
    return std::nullopt;
  }
  return DialogState(*flow, std::move(*session));
}

void cancel_expiry(const ReflectServices& services, const std::string& user_id) {
  services.jobs.cancel_keys_starting(kExpiryKey + user_id + ":");
}

Message resume_offer(const DialogState& state, const std::string& wanted_flow) {
  Message m;
  m.text = "You have a reflection under way";
  m.add(blocks::section(
      std::string(state.paused() ? ":hourglass_flowing_sand: " : ":thought_balloon: ") +
      "You are in the middle of *" + mrkdwn::escape(state.flow().title) + "* (step " +
      std::to_string(state.position().step + 1) + " of " +
      std::to_string(state.flow().steps.size()) +
      "). Resume it, or start over? Starting over lets go of what you wrote "
      "in it."));
  m.add(blocks::actions(
      "reflect_resume",
      {blocks::button("Resume", kResumeAction, json{{"r", state.reflection_id()}}.dump(),
                      blocks::ButtonStyle::kPrimary),
       blocks::button("Start over", kStartOverAction,
                      json{{"r", state.reflection_id()}, {"f", wanted_flow}}.dump())}));
  return m;
}

Reply start_dialog(const ReflectServices& services, const std::string& user_id, const Flow& flow,
                   const std::string& question, std::int64_t nudge_id, bool replace_existing) {
  if (auto existing = dialog_of(services, user_id)) {
    if (!replace_existing) return Reply::with(resume_offer(*existing, flow.id));
    discard(services, *existing, "cancelled");
  }
  store::Reflection reflection;
  reflection.user_id = user_id;
  reflection.flow = flow.id;
  reflection.started_at = services.clock.now();
  reflection.id = services.reflections.start_reflection(reflection);
  DialogState state(flow, DialogState::begin(flow, user_id, reflection.id, question, nudge_id,
                                             services.clock.now()));
  if (!services.dialogs.save_dialog(state.session())) {
    // Another start won the race: that one stands.
    reflection.state = "cancelled";
    reflection.ended_at = services.clock.now();
    services.reflections.update_reflection(reflection);
    if (auto other = dialog_of(services, user_id))
      return Reply::with(resume_offer(*other, flow.id));
    return say("Something else changed your dialog just now. Try `/reflect` again.");
  }
  state.session().version = 1;
  schedule_expiry(services, state, services.clock.now() + services.dialog_settings.expire_after);
  spdlog::info("dialog {} of {} started (reflection {})", flow.id, user_id, reflection.id);
  const std::string intro = ":seedling: *" + mrkdwn::escape(flow.title) +
                            "*: " + mrkdwn::escape(flow.summary) +
                            "\nAnswer in messages to me; `help` at any time. Only you see what you "
                            "write.";
  const ApiResult posted = services.slack.post_message(user_id, question_message(state, intro));
  if (!posted.ok) {
    discard(services, state, "cancelled");
    return say("I couldn't write to you in our direct messages. " + why_slack_failed(posted));
  }
  offer_initiatives(services, state);
  return Reply::none();
}

JobOutcome expire_dialog(const ReflectServices& services, const store::Job& job,
                         JobControl& control) {
  const std::string user = job.payload.value("u", "");
  const std::int64_t reflection = job.payload.value("r", std::int64_t{0});
  const auto current = dialog_of(services, user);
  if (!current || current->reflection_id() != reflection || current->paused()) {
    return JobOutcome::done();
  }
  const TimePoint quiet_until =
      current->session().updated_at + services.dialog_settings.expire_after;
  if (quiet_until > services.clock.now()) {
    // Answered since this job was made: wait from the latest answer.
    schedule_expiry(services, *current, quiet_until);
    return JobOutcome::done();
  }
  const auto applied = apply(services, user, [&](DialogState& state) -> std::optional<Turn> {
    if (state.reflection_id() != reflection || state.paused() ||
        state.session().updated_at != current->session().updated_at) {
      return std::nullopt;
    }
    state.set_paused(true);
    return Turn{Turn::Next::kSame, {}};
  });
  if (!applied.saved) return JobOutcome::done();  // answered meanwhile: its own job follows
  if (auto r = services.reflections.reflection(reflection)) {
    r->state = "expired";
    r->ended_at = services.clock.now();
    services.reflections.update_reflection(*r);
  }
  if (!control.begin_effect()) return JobOutcome::done();
  spdlog::info("dialog of {} paused after {} min without an answer (reflection {})", user,
               services.dialog_settings.expire_after.count(), reflection);
  return outcome_of_post(services.slack.post_message(user, paused_message(*applied.state)), job);
}

void register_conversation(EnvelopeRouter::Routes& routes, const ReflectServices& services) {
  // A person's DM belongs to their dialog while one is under way; replies
  // in a thread (a nudge's) are left to whoever owns that thread.
  routes.conversation(
      [services](const Event& event) {
        return (event.thread_ts.empty() || event.thread_ts == event.ts) &&
               services.dialogs.dialog(event.user).has_value();
      },
      [services](const Event& event) { on_message(services, event); });
  routes.action(kChoiceAction, [services](const BlockAction& a) {
    return on_press(services, a, [](DialogState& state, const json& value) {
      return state.choose(value.value("v", ""));
    });
  });
  routes.action(kBackAction, [services](const BlockAction& a) {
    return on_press(services, a, [](DialogState& state, const json&) { return state.back(); });
  });
  routes.action(kSkipAction, [services](const BlockAction& a) {
    return on_press(services, a, [](DialogState& state, const json&) { return state.skip(); });
  });
  routes.action(kDoneAction, [services](const BlockAction& a) {
    return on_press(services, a, [](DialogState& state, const json&) { return state.done(); });
  });
  routes.action(kCancelAction, [services](const BlockAction& a) {
    return on_press(services, a, [](DialogState&, const json&) {
      return Turn{Turn::Next::kCancelled, {}};
    });
  });
  routes.action(kHelpAction, [services](const BlockAction& a) {
    const auto state = dialog_of(services, a.user_id);
    if (!state) return say("That dialog has ended. `/reflect` starts a new one.");
    services.slack.post_message(a.user_id, question_message(*state, kSteeringHelp));
    return Reply::none();
  });
  routes.action(kResumeAction, [services](const BlockAction& a) { return resume(services, a); });
  routes.action(kLetGoAction, [services](const BlockAction& a) { return let_go(services, a); });
  routes.action(kStartOverAction, [services](const BlockAction& a) {
    const json value = json::parse(a.value, nullptr, false);
    const std::string wanted = value.is_object() ? value.value("f", "") : "";
    const Flow* flow = services.prompts.flows().by_id(wanted);
    const auto current = dialog_of(services, a.user_id);
    if (flow == nullptr && current) flow = &current->flow();
    if (flow == nullptr) return say("That dialog has ended. `/reflect` starts a new one.");
    return start_dialog(services, a.user_id, *flow,
                        current ? current->starting_question() : std::string(),
                        current ? current->nudge_id() : 0, true);
  });
}

}  // namespace ff::commands::reflect
