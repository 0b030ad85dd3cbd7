#include "commands/coach.hpp"

#include <algorithm>

#include "bot/slack/mrkdwn.hpp"
#include "commands/help.hpp"
#include "commands/my_data.hpp"
#include "commands/nudges/nudges.hpp"
#include "commands/people.hpp"
#include "commands/reflect/reflect.hpp"
#include "commands/wording.hpp"

namespace ff::commands {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

Message category_list(const PromptLibrary& library, const std::string& preface) {
  std::string text = preface;
  for (const auto& c : library.categories()) {
    text += "\n• `" + c.name + "`: " + mrkdwn::escape(c.description);
  }
  text +=
      "\nType `/coach <category>`, for example `/coach " +
      (library.categories().empty() ? std::string("strategy") : library.categories().front().name) +
      "`.";
  return Message::plain(text);
}

Reply no_questions(const PromptLibrary& library) {
  return Reply::with(
      category_list(library, "That category has no questions yet. Try one of these:"));
}

Reply draw_for_channel(const CoachServices& services, const std::string& channel,
                       const std::string& category, const std::string& user) {
  const auto prompt = services.picker.draw(channel, category, user);
  if (!prompt) return no_questions(services.prompts);
  Message card = question_card(*prompt, services.prompts, CardKind::kChannel);
  card.response_type = ResponseType::kInChannel;
  return Reply::with(std::move(card));
}

// `/coach me [category]`: a question only the caller sees.
Reply draw_for_caller(const CoachServices& services, const SlashCommand& command,
                      const std::string& category) {
  if (!category.empty() && services.prompts.category(category) == nullptr) {
    return Reply::with(
        category_list(services.prompts, "I don't know the category `" +
                                            mrkdwn::escape(mrkdwn::truncate(category, 40)) +
                                            "`. Try one of these:"));
  }
  // Rotation is kept per person for private questions.
  const auto prompt = services.picker.draw(command.user_id, category, command.user_id);
  if (!prompt) return no_questions(services.prompts);
  Message card = question_card(*prompt, services.prompts, CardKind::kPrivate);
  return Reply::with(std::move(card));
}

// A question instead of an answer, by DM to one person: what to tell the
// sender, one line.
std::string send_question(const CoachServices& services, const SlashCommand& command,
                          const std::string& to, const std::string& context, bool alone) {
  if (const auto why = why_not_reachable(services, to, command.user_id)) {
    if (!alone) return "Not sent to " + mrkdwn::mention(to) + ": " + *why;
    return *why +
           " Type `/coach @someone what they asked about` to send a colleague a question, "
           "or `/coach me` for one only you see.";
  }
  // Rotation is kept per person: each gets the question they had least lately.
  const auto prompt = services.picker.draw(to, {}, command.user_id);
  if (!prompt) return "I have no question to send right now: the question library is empty.";
  Message dm = question_card(*prompt, services.prompts, CardKind::kSent);
  std::string intro = mrkdwn::mention(command.user_id) +
                      " would rather ask you a question than hand you an answer:";
  if (!context.empty()) intro += "\n" + quoted(context, kContextLimit);
  dm.blocks.insert(dm.blocks.begin(), blocks::section(intro));
  dm.text = mrkdwn::escape(command.user_name) +
            " sent you a coaching question: " + mrkdwn::escape(prompt->text);
  const ApiResult sent = services.slack.post_message(to, dm);
  if (!sent.ok) {
    return "I couldn't deliver that" + (alone ? std::string() : " to " + mrkdwn::mention(to)) +
           " (" + mrkdwn::escape(sent.error) + "). Please try again in a minute.";
  }
  return ":incoming_envelope: Sent " + mrkdwn::mention(to) + " a question instead of an answer: _" +
         mrkdwn::escape(prompt->text) + "_";
}

// `/coach @someone [@another …] [context]`: a question instead of an
// answer, by DM to each person named, with one line per person saying what
// reached them.
Reply send_to_people(const CoachServices& services, const SlashCommand& command,
                     const Mentions& named) {
  if (named.too_many) {
    return Reply::with(Message::plain(
        "That's more than " + std::to_string(kPeopleAtOnce) +
        " people. For a whole team, draw a question here with `/coach` and discuss it "
        "together."));
  }
  if (mrkdwn::char_count(named.rest) > kContextLimit) {
    return Reply::with(Message::plain("That context is a bit long. Keep it under " +
                                      std::to_string(kContextLimit) +
                                      " characters: a line about what they asked is enough."));
  }
  std::string said;
  for (const auto& person : named.user_ids) {
    if (!said.empty()) said += "\n";
    said += send_question(services, command, person, named.rest, named.user_ids.size() == 1);
  }
  return Reply::with(Message::plain(said));
}

std::string figures_text(const store::CoachingFigures& f) {
  std::string text = "• Questions drawn: " + std::to_string(f.questions_drawn);
  text += f.feedback_given == 0
              ? "\n• Feedback given: none yet"
              : "\n• Feedback given: " + std::to_string(f.feedback_given) +
                    ", non-blocking: " + std::to_string(f.feedback_non_blocking) + " (" +
                    percent(f.feedback_non_blocking, f.feedback_given) + ")";
  const auto answered = f.sixmonth_led + f.sixmonth_followed + f.sixmonth_unsure;
  const auto decided = f.sixmonth_led + f.sixmonth_followed;
  text += answered == 0 ? "\n• Six-month test: not used yet"
                        : "\n• Six-month test: followed " + std::to_string(f.sixmonth_followed) +
                              ", led " + std::to_string(f.sixmonth_led) + ", not sure " +
                              std::to_string(f.sixmonth_unsure) + " (followed in " +
                              percent(f.sixmonth_followed, decided) + " of decisions)";
  return text;
}

// `/coach stats`: the caller's own figures; admins also see the team's.
Reply show_figures(const CoachServices& services, const std::string& user_id) {
  Message m;
  m.text = "Your coaching figures";
  for (auto& block : figures_blocks(services, user_id)) m.add(std::move(block));
  m.add(
      blocks::context({"Only you see this. Following is leading too: backing someone else's "
                       "decision early is a choice, not a loss."}));
  return Reply::with(std::move(m));
}

}  // namespace

std::vector<nlohmann::json> figures_blocks(const CoachServices& services,
                                           const std::string& user_id) {
  std::vector<nlohmann::json> out;
  out.push_back(blocks::section("*Your figures*\n" +
                                figures_text(services.figures.figures(user_id)) +
                                "\n• Reflection nudges, last 30 days: " +
                                nudge_figures_in_words(services.nudges.nudge_figures(
                                    user_id, services.clock.now() - std::chrono::hours{24 * 30})) +
                                "\n• Reflections, last 90 days: " +
                                reflection_figures_in_words(services.reflections.reflection_figures(
                                    user_id, services.clock.now() - kReflectionFiguresSince))));
  if (services.is_admin(user_id)) {
    out.push_back(
        blocks::section("*The whole team*\n" + figures_text(services.figures.figures({}))));
    std::string people;
    for (const auto& [person, f] : services.figures.figures_by_person(20)) {
      if (!mrkdwn::is_user_id(person)) continue;
      people += "\n" + mrkdwn::mention(person) + ": " + counted(f.questions_drawn, "question") +
                ", " + std::to_string(f.feedback_non_blocking) + "/" +
                std::to_string(f.feedback_given) + " feedback non-blocking, followed " +
                std::to_string(f.sixmonth_followed) + " / led " + std::to_string(f.sixmonth_led);
    }
    out.push_back(blocks::section("*By person* (most active first)" +
                                  (people.empty() ? std::string("\nNobody yet.") : people)));
  }
  return out;
}

Message question_card(const Prompt& prompt, const PromptLibrary& library, CardKind kind) {
  Message m;
  m.text = "A coaching question: " + mrkdwn::escape(prompt.text);
  m.add(blocks::section(":thought_balloon: *" + mrkdwn::escape(prompt.text) + "*"));
  std::vector<std::string> context;
  const auto* category = library.category(prompt.category);
  context.push_back("_" + mrkdwn::escape(prompt.category) +
                    (category ? "_ · " + mrkdwn::escape(category->description) : std::string("_")));
  if (!prompt.follow_ups.empty()) {
    context.push_back("Then ask: " + mrkdwn::escape(prompt.follow_ups.front()));
  }
  if (kind == CardKind::kPrivate) context.push_back("Only you see this question.");
  m.add(blocks::context(context));
  if (kind == CardKind::kChannel) {
    m.add(blocks::actions("coach_actions",
                          {blocks::button("Another question", kCoachAnotherAction, prompt.category),
                           blocks::button("Discuss in a thread", kCoachDiscussAction, prompt.id)}));
  }
  return m;
}

void register_coach(EnvelopeRouter::Routes routes, const CoachServices& services) {
  routes.command("/coach", [services](const SlashCommand& command) {
    const std::string text = trimmed(command.text);
    if (const auto named = leading_mentions(text, kPeopleAtOnce); !named.user_ids.empty()) {
      return send_to_people(services, command, named);
    }
    const std::string argument = lower(text);
    if (argument.empty())
      return draw_for_channel(services, command.channel_id, {}, command.user_id);
    if (argument == "help") return Reply::with(coach_help());
    if (argument == "my-data") return show_my_data(services.personal_data, command.user_id);
    if (argument == "forget-me") return offer_to_forget(command.user_id);
    if (argument == "stats") return show_figures(services, command.user_id);
    if (argument == "me" || argument.rfind("me ", 0) == 0) {
      return draw_for_caller(services, command, trimmed(argument.substr(2)));
    }
    if (argument == "categories" || argument == "list") {
      return Reply::with(category_list(services.prompts, "*Question categories*"));
    }
    if (services.prompts.category(argument) != nullptr) {
      return draw_for_channel(services, command.channel_id, argument, command.user_id);
    }
    if (argument.front() == '@') {
      return Reply::with(Message::plain(
          "I couldn't tell who `" + mrkdwn::escape(mrkdwn::truncate(text, 40)) +
          "` is. Pick the person from Slack's list as you type their name, so the mention turns "
          "blue, then send `/coach @them what they asked about`."));
    }
    return Reply::with(
        category_list(services.prompts, "I don't know the category `" +
                                            mrkdwn::escape(mrkdwn::truncate(text, 40)) +
                                            "`. These are the ones I have:"));
  });

  routes.action(kCoachAnotherAction, [services](const BlockAction& action) {
    // The value is the category of the card; a tampered one is refused
    // rather than trusted.
    if (!action.value.empty() && services.prompts.category(action.value) == nullptr) {
      return Reply::with(Message::plain(
          "That button looks altered, so I ignored it. Type `/coach` for a new question."));
    }
    Reply reply = draw_for_channel(services, action.channel_id, action.value, action.user_id);
    if (reply.message) reply.message->replace_original = true;
    return reply;
  });

  routes.action(kCoachDiscussAction, [services](const BlockAction& action) {
    const Prompt* prompt = services.prompts.by_id(action.value);
    if (prompt == nullptr || action.channel_id.empty() || action.message_ts.empty()) {
      return Reply::with(Message::plain(
          "That button looks altered, so I ignored it. Type `/coach` for a new question."));
    }
    // One thread per card, however often (or however many people) press:
    // the claim outlasts retries, double clicks and a second instance.
    const std::string claim = "coach.discuss:" + action.channel_id + ":" + action.message_ts;
    if (!services.claims.claim(claim, services.clock.now())) {
      return Reply::with(Message::plain(
          "The discussion of this question is open already: it's in the thread under it."));
    }
    Message opener;
    opener.thread_ts = action.message_ts;
    opener.text = "Discussion: " + mrkdwn::escape(prompt->text);
    std::string text = mrkdwn::mention(action.user_id) + " opened the discussion of *" +
                       mrkdwn::escape(prompt->text) + "*\nReply in this thread.";
    if (!prompt->follow_ups.empty()) {
      text += " When it settles, ask: _" + mrkdwn::escape(prompt->follow_ups.front()) + "_";
    }
    opener.add(blocks::section(text));
    const ApiResult posted = services.slack.post_message(action.channel_id, opener);
    if (!posted.ok) {
      if (posted.nothing_done) services.claims.release(claim);
      return Reply::with(
          Message::plain("I couldn't start the thread. " + why_slack_failed(posted)));
    }
    return Reply::none();
  });
}

}  // namespace ff::commands
