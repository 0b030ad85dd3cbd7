#include "commands/nit.hpp"

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/help.hpp"
#include "commands/people.hpp"

namespace ff::commands {
namespace {

constexpr std::size_t kExcerptLimit = 300;

using Feedback = FeedbackToSend;

}  // namespace

std::optional<std::string> deliver_feedback(const NitServices& services, const FeedbackToSend& f) {
  std::int64_t id = 0;
  try {
    id = services.feedback.record_feedback({0, f.from, f.to, f.channel, f.text, f.non_blocking,
                                            "sent", services.clock.now(), std::nullopt});
  } catch (const store::StoreError& error) {
    spdlog::warn("feedback not recorded: {}", error.what());
    return std::string("I couldn't save it, so I didn't send it. Please try again in a minute.");
  }
  Message dm;
  dm.text = "Non-blocking feedback from a colleague";
  std::string heading = ":speech_balloon: *" +
                        std::string(f.non_blocking ? "Non-blocking feedback" : "Feedback") +
                        " from " + mrkdwn::mention(f.from) + "*";
  if (!f.excerpt.empty()) heading += " about:\n" + quoted(f.excerpt, kExcerptLimit);
  dm.add(blocks::section(heading));
  dm.add(blocks::section(quoted(f.text, kFeedbackLimit)));
  dm.add(blocks::context(
      {f.non_blocking
           ? "This is an optional nit: you decide what to do with it, and nothing waits on "
             "your answer."
           : mrkdwn::mention(f.from) +
                 " marked this as blocking: they need a change before it goes ahead. How you "
                 "make it is still yours to decide."}));
  const std::string value = std::to_string(id);
  dm.add(blocks::actions(
      "nit_actions",
      {blocks::button("Thanks, noted", kNitAcknowledgeAction, value, blocks::ButtonStyle::kPrimary),
       blocks::button("Let's discuss", kNitDiscussAction, value)}));
  const ApiResult sent = services.slack.post_message(f.to, dm);
  if (!sent.ok) {
    return "I couldn't deliver it (" + mrkdwn::escape(sent.error) + "). Please try again.";
  }
  return std::nullopt;
}

namespace {

std::string sent_note(const Feedback& f) {
  return ":white_check_mark: Sent to " + mrkdwn::mention(f.to) +
         (f.non_blocking ? " as non-blocking feedback. They decide what to do with it;"
                         : " as blocking feedback, said openly;") +
         " I'll tell you when they respond.";
}

// "blocking:" at the start marks feedback that needs a change.
bool take_blocking_prefix(std::string& text) {
  static const std::string prefix = "blocking:";
  if (text.size() < prefix.size()) return false;
  std::string start = text.substr(0, prefix.size());
  std::transform(start.begin(), start.end(), start.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (start != prefix) return false;
  text = trimmed(text.substr(prefix.size()));
  return true;
}

std::optional<std::string> feedback_problem(const std::string& text) {
  if (text.empty()) {
    return std::string(
        "What would you like to tell them? For example: `/nit @sam the summary "
        "could lead with the decision`.");
  }
  if (mrkdwn::char_count(text) > kFeedbackLimit) {
    return "That is longer than " + std::to_string(kFeedbackLimit) +
           " characters. Feedback lands best short: pick the one point that matters most.";
  }
  return std::nullopt;
}

Reply command(const NitServices& services, const SlashCommand& command) {
  const std::string text = trimmed(command.text);
  if (text.empty() || text == "help") return Reply::with(nit_help());
  const auto named = leading_mentions(text, kPeopleAtOnce);
  if (named.user_ids.empty()) {
    return Reply::with(Message::plain(
        "Start with the person it is for, picked from Slack's list so the name turns blue: "
        "`/nit @sam the summary could lead with the decision`."));
  }
  if (named.too_many) {
    return Reply::with(Message::plain("That's more than " + std::to_string(kPeopleAtOnce) +
                                      " people. Feedback lands best one person at a time."));
  }
  Feedback f{command.user_id, {}, command.channel_id, named.rest, true, {}};
  f.non_blocking = !take_blocking_prefix(f.text);
  if (const auto problem = feedback_problem(f.text)) return Reply::with(Message::plain(*problem));
  // The same feedback to each person named, each their own to answer; one
  // line per person says what reached whom.
  const bool alone = named.user_ids.size() == 1;
  std::string said;
  for (const auto& person : named.user_ids) {
    if (!said.empty()) said += "\n";
    f.to = person;
    if (const auto why = why_not_reachable(services, person, command.user_id)) {
      said += alone ? *why + " Type `/nit @someone <feedback>` for a colleague."
                    : "Not sent to " + mrkdwn::mention(person) + ": " + *why;
    } else if (const auto failed = deliver_feedback(services, f)) {
      said += alone ? *failed : "Not sent to " + mrkdwn::mention(person) + ": " + *failed;
    } else {
      said += sent_note(f);
    }
  }
  return Reply::with(Message::plain(said));
}

// The receiver's answer to a feedback DM.
Reply answer(const NitServices& services, const BlockAction& action, const std::string& status) {
  const auto tampered = [] {
    return Reply::with(Message::plain("That button looks altered, so I ignored it."));
  };
  if (action.value.empty() || action.value.size() > 18 ||
      action.value.find_first_not_of("0123456789") != std::string::npos) {
    return tampered();
  }
  const std::int64_t id = std::stoll(action.value);
  const auto feedback = services.feedback.feedback(id);
  if (!feedback) return tampered();
  if (feedback->to_user != action.user_id) {
    return Reply::with(Message::plain("Only " + mrkdwn::mention(feedback->to_user) +
                                      " can answer this feedback."));
  }
  if (!services.feedback.respond_to_feedback(id, action.user_id, status, services.clock.now())) {
    return Reply::with(Message::plain("You already answered this one."));
  }
  const bool discuss = status == "discuss";
  Message to_sender;
  to_sender.text = "Your feedback got an answer";
  to_sender.add(blocks::section(
      mrkdwn::mention(feedback->to_user) +
      (discuss ? " would like to discuss your feedback. Reach out when you have a moment:"
               : " read your feedback and noted it. What happens next is theirs to decide:") +
      "\n" + quoted(feedback->text, kExcerptLimit)));
  services.slack.post_message(feedback->from_user, to_sender);

  Message updated;
  updated.replace_original = true;
  updated.text = "Feedback answered";
  updated.add(blocks::section(":speech_balloon: Feedback from " +
                              mrkdwn::mention(feedback->from_user) + ":\n" +
                              quoted(feedback->text, kFeedbackLimit)));
  updated.add(blocks::context({discuss ? "You asked to discuss it; I let them know."
                                       : "You noted it; I let them know. It's yours to decide."}));
  return Reply::with(std::move(updated));
}

// What the modal carries from the shortcut to the submission.
struct ModalContext {
  std::string to;
  std::string channel;
  std::string excerpt;
};

std::optional<ModalContext> context_of(const std::string& metadata) {
  const auto json = nlohmann::json::parse(metadata, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  ModalContext c{json.value("to", ""), json.value("channel", ""), json.value("excerpt", "")};
  if (!c.to.empty() && !mrkdwn::is_user_id(c.to)) return std::nullopt;
  return c;
}

Reply field_error(const char* block_id, const std::string& message) {
  Reply reply;
  reply.view_response =
      nlohmann::json{{"response_action", "errors"}, {"errors", {{block_id, message}}}};
  return reply;
}

Reply submit(const NitServices& services, const ViewSubmission& view) {
  if (view.closed) return Reply::none();
  const auto context = context_of(view.private_metadata);
  if (!context)
    return field_error("nit_text", "This form looks altered. Close it and start again.");
  const auto& form = view.form;
  Feedback f{view.user_id, context->to, context->channel, {}, true, context->excerpt};
  if (f.to.empty()) {
    f.to = form.selected_user("nit_to", "user");
    if (!mrkdwn::is_user_id(f.to)) return field_error("nit_to", "Pick who the feedback is for.");
  }
  if (const auto why = why_not_reachable(services, f.to, view.user_id)) {
    return field_error(context->to.empty() ? "nit_to" : "nit_text", *why);
  }
  f.text = trimmed(form.text("nit_text", "text"));
  if (const auto problem = feedback_problem(f.text)) return field_error("nit_text", *problem);
  f.non_blocking = !form.any_selected("nit_blocking", "blocking");
  if (const auto failed = deliver_feedback(services, f)) return field_error("nit_text", *failed);
  services.slack.post_message(f.from, Message::plain(sent_note(f)));
  return Reply::none();  // an empty ack closes the modal
}

}  // namespace

Reply form_opened(const ApiResult& opened) {
  if (opened.ok) return Reply::none();
  return Reply::with(Message::plain("I couldn't open the feedback form. " +
                                    why_slack_failed(opened) +
                                    " `/nit @someone <feedback>` works too."));
}

ApiResult open_nit_modal(const NitServices& services, const std::string& trigger_id,
                         const std::string& to, const std::string& channel,
                         const std::string& excerpt) {
  std::vector<nlohmann::json> parts;
  if (!excerpt.empty()) {
    parts.push_back(blocks::section("*About:*\n" + quoted(excerpt, kExcerptLimit)));
  }
  if (to.empty()) parts.push_back(blocks::user_select("nit_to", "user", "Who is it for?"));
  parts.push_back(blocks::text_input("nit_text", "text", "Your feedback",
                                     "One point, said kindly. They decide what to do with it.",
                                     kFeedbackLimit));
  parts.push_back(blocks::checkbox("nit_blocking", "blocking", "Blocking?",
                                   "This one blocks: I need a change first", "blocking"));
  const nlohmann::json metadata = {
      {"to", to}, {"channel", channel}, {"excerpt", mrkdwn::truncate(excerpt, kExcerptLimit)}};
  return services.slack.open_view(
      trigger_id,
      blocks::modal(kNitModal, "Non-blocking feedback", "Send", std::move(parts), metadata.dump()));
}

void register_nit(EnvelopeRouter::Routes routes, const NitServices& services) {
  routes.command("/nit", [services](const SlashCommand& c) { return command(services, c); });
  routes.action(kNitAcknowledgeAction,
                [services](const BlockAction& a) { return answer(services, a, "acknowledged"); });
  routes.action(kNitDiscussAction,
                [services](const BlockAction& a) { return answer(services, a, "discuss"); });
  routes.action(kNitOpenAction, [services](const BlockAction& a) {
    const ApiResult opened = open_nit_modal(services, a.trigger_id, {}, a.channel_id, {});
    return form_opened(opened);
  });
  routes.shortcut(kNitShortcut, [services](const Shortcut& s) {
    if (!mrkdwn::is_user_id(s.message_user)) {
      return Reply::with(Message::plain(
          "That message has no author I can send feedback to (it may come from an app)."));
    }
    if (s.message_user == s.user_id) {
      return Reply::with(Message::plain("That's your own message. Feedback is for others' work."));
    }
    const ApiResult opened =
        open_nit_modal(services, s.trigger_id, s.message_user, s.channel_id, s.message_text);
    return form_opened(opened);
  });
  routes.view(kNitModal, [services](const ViewSubmission& v) { return submit(services, v); });
}

}  // namespace ff::commands
