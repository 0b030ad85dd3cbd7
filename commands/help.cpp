#include "commands/help.hpp"

#include <algorithm>

#include "bot/mrkdwn.hpp"

namespace ff::commands {
namespace {

bool is_help_request(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto first = text.find_first_not_of(" \t\r\n?!.");
  if (first == std::string::npos) return false;
  text = text.substr(first, text.find_last_not_of(" \t\r\n?!.") - first + 1);
  return text == "help" || text == "hi" || text == "hello" || text == "what can you do";
}

}  // namespace

Message overview_help() {
  Message m;
  m.text = "firstfollower helps you lead leaders: questions instead of answers.";
  m.add(blocks::section(
      "*firstfollower* helps you lead leaders: it hands out the question a leader of leaders "
      "would ask, instead of the answer."));
  m.add(blocks::section(
      "*`/coach`* posts a coaching question to the channel for discussion\n"
      "*`/coach <category>`* draws from one category, such as `strategy` or `customers`\n"
      "*`/coach categories`* lists the categories\n"
      "*`/coach my-data`* shows, only to you, everything I store about you; "
      "*`/coach forget-me`* deletes it\n"
      "*`/coach help`* shows this help"));
  m.add(blocks::context({"Write `help` to me in a direct message at any time."}));
  return m;
}

void register_help(EnvelopeRouter& router, Services& services) {
  router.event("message", [&services](const Event& event) {
    // Only people's own direct messages: never bots (ourselves included) and
    // never edits, joins or other subtypes.
    if (event.channel_type != "im" || !event.bot_id.empty() || !event.subtype.empty()) return;
    if (event.channel.empty()) return;
    if (is_help_request(event.text)) {
      services.slack.post_message(event.channel, overview_help());
      return;
    }
    services.slack.post_message(
        event.channel,
        Message::plain("I can't hold a conversation yet. Write `help` to see what I can do, or "
                       "type `/coach` in a channel for a coaching question."));
  });
}

}  // namespace ff::commands
