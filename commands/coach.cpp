#include "commands/coach.hpp"

#include <algorithm>

#include "bot/mrkdwn.hpp"
#include "commands/help.hpp"
#include "commands/my_data.hpp"

namespace ff::commands {
namespace {

std::string normalized(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
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

Reply draw_for(Services& services, const std::string& channel, const std::string& category) {
  const auto prompt = services.picker.draw(channel, category);
  if (!prompt)
    return Reply::with(
        category_list(services.prompts, "That category has no questions yet. Try one of these:"));
  Message card = question_card(*prompt, services.prompts);
  card.response_type = ResponseType::kInChannel;
  return Reply::with(std::move(card));
}

}  // namespace

Message question_card(const Prompt& prompt, const PromptLibrary& library) {
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
  m.add(blocks::context(context));
  m.add(blocks::actions(
      "coach_actions", {blocks::button("Another question", kCoachAnotherAction, prompt.category)}));
  return m;
}

void register_coach(EnvelopeRouter& router, Services& services) {
  router.command("/coach", [&services](const SlashCommand& command) {
    const std::string argument = normalized(command.text);
    if (argument.empty()) return draw_for(services, command.channel_id, {});
    if (argument == "help") return Reply::with(overview_help());
    if (argument == "my-data") return show_my_data(services, command.user_id);
    if (argument == "forget-me") return offer_to_forget(command.user_id);
    if (argument == "categories" || argument == "list") {
      return Reply::with(category_list(services.prompts, "*Question categories*"));
    }
    if (services.prompts.category(argument) != nullptr) {
      return draw_for(services, command.channel_id, argument);
    }
    return Reply::with(
        category_list(services.prompts, "I don't know the category `" +
                                            mrkdwn::escape(mrkdwn::truncate(argument, 40)) +
                                            "`. These are the ones I have:"));
  });

  router.action(kCoachAnotherAction, [&services](const BlockAction& action) {
    // The value is the category of the card; a tampered one is refused
    // rather than trusted.
    if (!action.value.empty() && services.prompts.category(action.value) == nullptr) {
      return Reply::with(Message::plain(
          "That button looks altered, so I ignored it. Type `/coach` for a new question."));
    }
    Reply reply = draw_for(services, action.channel_id, action.value);
    if (reply.message) reply.message->replace_original = true;
    return reply;
  });
}

}  // namespace ff::commands
