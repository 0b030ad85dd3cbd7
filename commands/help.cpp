#include "commands/help.hpp"

#include <algorithm>

#include "bot/slack/mrkdwn.hpp"

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

// A help card: a fallback line for notifications, the help itself, and an
// optional note under it.
Message help_card(std::string_view fallback, std::string_view body, std::string_view note = {}) {
  Message m;
  m.text = std::string(fallback);
  m.add(blocks::section(body));
  if (!note.empty()) m.add(blocks::context({std::string(note)}));
  return m;
}

}  // namespace

Message overview_help() {
  Message m;
  m.text = "firstfollower helps you lead leaders: questions instead of answers.";
  m.add(blocks::section(
      "*firstfollower* helps you lead leaders: it hands out the question a leader of leaders "
      "would ask, instead of the answer, makes feedback explicitly non-blocking, and helps you "
      "decide when to follow rather than lead."));
  m.add(blocks::section(
      "*`/coach`* a coaching question for the channel (`/coach help` for more)\n"
      "*`/coach @someone`* sends a colleague a question instead of an answer\n"
      "*`/nit @someone <feedback>`* non-blocking feedback: they decide (`/nit help`)\n"
      "*`/sixmonths <decision>`* will it matter to you in six months? (`/sixmonths help`)\n"
      "*`/initiative <title> | <description>`* propose an improvement you will lead; "
      "*`/endorse <number>`* back one (`/initiative help`)\n"
      "*`/nudges weekdays 17:00`* a reflection question by DM at a time that suits you "
      "(`/nudges help`)\n"
      "*`/reflect`* a private coaching conversation with me that ends in one concrete step "
      "(`/reflect help`)\n"
      "*`/coach stats`* your figures; *`/coach my-data`* what I store about you"));
  m.add(blocks::context({"Write `help` to me in a direct message at any time."}));
  return m;
}

Message coach_help() {
  return help_card(
      "How to use /coach",
      "*`/coach`* posts a coaching question to the channel for discussion, with buttons for "
      "another question and for a thread to discuss it in\n"
      "*`/coach <category>`* draws from one category, such as `strategy` or `customers`\n"
      "*`/coach categories`* lists the categories\n"
      "*`/coach me`* (or `/coach me <category>`) shows a question only to you\n"
      "*`/coach @someone <what they asked>`* sends them a question by DM instead of an "
      "answer\n"
      "*`/coach stats`* your figures: questions, non-blocking feedback, followed versus led\n"
      "*`/coach my-data`* shows, only to you, everything I store about you; "
      "*`/coach forget-me`* deletes it",
      "A channel sees most of a category before any question comes back.");
}

Message nit_help() {
  return help_card(
      "How to use /nit",
      "*`/nit @someone <feedback>`* sends your feedback to them by DM, framed as non-blocking: "
      "they decide what to do with it, and nothing waits on their answer. They can acknowledge "
      "it or ask to discuss, and I tell you which.\n"
      "*`/nit @someone blocking: <feedback>`* when you do need a change before it goes ahead: "
      "say so openly, so everything else can stay optional.\n"
      "On any message, *More actions → Give non-blocking feedback* does the same for that "
      "message.");
}

Message sixmonths_help() {
  return help_card(
      "How to use /sixmonths",
      "*`/sixmonths <decision>`* asks you, privately, whether the decision will matter to you "
      "in six months. *Yes*: lead it, and I give you the questions to lead with. *No*: follow "
      "whoever leads it, and back them early. *Not sure*: a question that helps you decide.\n"
      "For example: `/sixmonths which CI provider we move to`");
}

Message nudges_help() {
  return help_card(
      "How to use /nudges",
      "*`/nudges`* shows your nudges and the buttons to change them\n"
      "*`/nudges weekdays 17:00`* a reflection question by DM, in your own time zone. Also "
      "`daily 9:30`, `weekly fri 16:00`, `mon,wed 8:45`, `every 2 weeks thu 15:00`\n"
      "*`/nudges topics gap follow feedback`* questions from those categories only "
      "(`/nudges topics all` for every one)\n"
      "*`/nudges pause 2w`*, *`/nudges pause until 2027-01-04`*, *`/nudges resume`*, "
      "*`/nudges skip`* (the next one), *`/nudges now`* (one at once), *`/nudges off`*\n"
      "*`/nudges stats`* what became of your nudges\n"
      "*`/nudges channel weekly thu 10:00`* a question for this channel to discuss (admins and "
      "the channel's leads); *`/nudges channel off`*",
      "Never in quiet hours or on a holiday, never twice. A reply in a nudge's thread, or "
      "*Reflect now*, keeps your reflection: only you can see it.");
}

Message reflect_help(const FlowLibrary& flows) {
  std::string list;
  for (const Flow* flow : flows.listed()) {
    list += "\n*`/reflect " + flow->id + "`* " + mrkdwn::escape(flow->title) + ": " +
            mrkdwn::escape(flow->summary);
  }
  return help_card(
      "How to use /reflect",
      "*`/reflect`* a private conversation with me, one question at a time, in our direct "
      "messages. It ends with a summary and the one step you chose; *Share to a channel* and "
      "*Remind me in a week* are there if you want them." +
          list +
          "\n*`/reflect history`* your past reflections; *`/reflect stats`* your figures\n"
          "At every question: `back`, `skip`, `cancel`, `where am I`, `help`; in a list, `done`. "
          "Editing a message you sent doesn't change your answer: write `back` instead.",
      "What you write stays yours: nobody else sees it, admins included. A dialog you leave "
      "alone pauses after a day, and waits for you.");
}

void register_help(EnvelopeRouter::Routes routes, const Services& services) {
  // Direct messages no open conversation claims: help, or how to get it.
  routes.other_direct_messages([services](const Event& event) {
    if (is_help_request(event.text)) {
      services.slack.post_message(event.channel, overview_help());
      return;
    }
    services.slack.post_message(
        event.channel,
        Message::plain("Write `/reflect` to start a private reflection with me, `help` to see "
                       "what else I can do, or type `/coach` in a channel for a coaching "
                       "question."));
  });
}

}  // namespace ff::commands
