// The end of a dialog and what follows it: the summary, Share to a channel
// (a form with a preview; nothing is posted before its Post is pressed),
// the follow-up on the chosen action, and a person's own past reflections.
// A reflection is shown to its author only.
#include <spdlog/spdlog.h>

#include "bot/schedule/recurrence.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "commands/people.hpp"
#include "commands/reflect/parts.hpp"

namespace ff::commands::reflect {
namespace {

using nlohmann::json;

constexpr std::size_t kSectionLimit = 3000;
constexpr std::size_t kNoteLimit = 500;
constexpr const char* kFollowUpKey = "reflect-follow-up:";

std::string label_of(const FlowStep& step) {
  return step.label.empty() ? mrkdwn::truncate(step.text, 150) : step.label;
}

std::string section_text(const std::string& text) {
  return mrkdwn::truncate(text, kSectionLimit);
}

// The answers as sections, in the flow's order, the chosen action last and
// standing out. A flow removed since shows the answers by step id.
std::vector<json> answer_blocks(const ReflectServices& services, const store::Reflection& r) {
  std::vector<json> parts;
  const Flow* flow = services.prompts.flows().by_id(r.flow);
  const json& answers = r.answers;
  if (const auto q = answers.find("_question"); q != answers.end() && q->is_string()) {
    parts.push_back(blocks::section(
        section_text(":thought_balloon: _" + mrkdwn::escape(q->get<std::string>()) + "_")));
  }
  // The chosen action is the last action step answered; one answered before
  // it (the step one would lead, when a branch names someone to follow) is
  // shown as an answer like the others.
  std::string action;
  std::string action_label;
  const auto show = [&](const FlowStep* step, const std::string& id, const json& answer) {
    const std::string label = step ? label_of(*step) : id;
    if (answer.is_string()) {
      std::string text = answer.get<std::string>();
      if (step && step->kind == StepKind::kChoice) {
        for (const auto& c : step->choices) {
          if (c.value == text) text = c.label;
        }
      }
      if (step && step->action) {
        if (!action.empty()) {
          parts.push_back(
              blocks::section(section_text("*" + action_label + "*\n" + mrkdwn::escape(action))));
        }
        action = text;
        action_label = label;
        return;
      }
      parts.push_back(blocks::section(section_text("*" + label + "*\n" + mrkdwn::escape(text))));
    } else if (answer.is_array() && step && step->kind == StepKind::kEach) {
      const auto list = answers.find(step->of);
      for (std::size_t i = 0; i < answer.size(); ++i) {
        if (!answer[i].is_string()) continue;
        std::string item = "#" + std::to_string(i + 1);
        if (list != answers.end() && list->is_array() && i < list->size() &&
            (*list)[i].is_string()) {
          item = mrkdwn::escape(mrkdwn::truncate((*list)[i].get<std::string>(), 200));
        }
        parts.push_back(blocks::section(section_text(
            "*" + label + "* · _" + item + "_\n" + mrkdwn::escape(answer[i].get<std::string>()))));
      }
    } else if (answer.is_array()) {
      std::string text = "*" + label + "*";
      for (const auto& item : answer) {
        if (item.is_string()) text += "\n• " + mrkdwn::escape(item.get<std::string>());
      }
      parts.push_back(blocks::section(section_text(text)));
    }
  };
  if (flow != nullptr) {
    for (const auto& step : flow->steps) {
      if (const auto a = answers.find(step.id); a != answers.end()) show(&step, step.id, *a);
    }
  } else {
    for (const auto& [id, answer] : answers.items()) {
      if (id != "_question") show(nullptr, id, answer);
    }
  }
  if (action.empty()) action = r.action;
  if (!action.empty()) {
    parts.push_back(blocks::divider());
    parts.push_back(
        blocks::section(section_text(":dart: *Your next step*\n*" + mrkdwn::escape(action) + "*")));
  }
  if (parts.empty()) parts.push_back(blocks::section("_You skipped every question._"));
  return parts;
}

std::string zone_of(const ReflectServices& services, const std::string& user) {
  return time_zone_of(services, services.profiles, user, services.nudge_settings.default_time_zone)
      .zone;
}

// The reflection a press or a form names, when it is the presser's own.
std::variant<store::Reflection, std::string> own_reflection(const ReflectServices& services,
                                                            const std::string& value_text,
                                                            const std::string& presser) {
  const json value = json::parse(value_text, nullptr, false);
  if (!value.is_object() || !value["r"].is_number_integer()) {
    return std::string("That button looks altered, so I ignored it.");
  }
  auto found = services.reflections.reflection(value["r"].get<std::int64_t>());
  // Somebody else's reflection is answered as if it did not exist.
  if (!found || found->user_id != presser) {
    return std::string("I can't find that reflection any more.");
  }
  return *found;
}

Reply field_error(const char* block, const std::string& message) {
  Reply reply;
  reply.view_response = json{{"response_action", "errors"}, {"errors", {{block, message}}}};
  return reply;
}

Reply open_share_form(const ReflectServices& services, const BlockAction& action) {
  const auto found = own_reflection(services, action.value, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& reflection = std::get<store::Reflection>(found);
  if (reflection.state != "completed") return say("Only a finished reflection can be shared.");
  std::vector<json> parts;
  parts.push_back(blocks::section("This is what will be posted, under your name:"));
  for (auto& block : shared_message(services, reflection, {}).blocks) parts.push_back(block);
  parts.push_back(blocks::divider());
  parts.push_back(blocks::conversation_select("channel", "channel", "Post it to"));
  blocks::TextInputOptions optional;
  optional.optional = true;
  parts.push_back(blocks::text_input("note", "text", "A line to go with it",
                                     "Why you share it, or what you would like to hear back",
                                     kNoteLimit, optional));
  const ApiResult opened = services.slack.open_view(
      action.trigger_id, blocks::modal(kShareModal, "Share a reflection", "Post", std::move(parts),
                                       json{{"r", reflection.id}}.dump()));
  if (!opened.ok) return say("I couldn't open the form. " + why_slack_failed(opened));
  return Reply::none();
}

Reply submit_share(const ReflectServices& services, const ViewSubmission& view) {
  if (view.closed) return Reply::none();
  const auto found = own_reflection(services, view.private_metadata, view.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return field_error("channel", *why);
  const auto& reflection = std::get<store::Reflection>(found);
  const std::string channel = view.form.selected_conversation("channel", "channel");
  if (channel.empty()) return field_error("channel", "Choose the channel to post it to.");
  if (!mrkdwn::is_channel_id(channel)) return field_error("channel", "That is not a channel.");
  const std::string note = mrkdwn::truncate(trimmed(view.form.text("note", "text")), kNoteLimit);
  Message shared = shared_message(services, reflection, note);
  shared.response_type = ResponseType::kInChannel;
  const ApiResult posted = services.slack.post_message(channel, shared);
  if (!posted.ok) {
    if (posted.error == "not_in_channel" || posted.error == "channel_not_found") {
      return field_error("channel",
                         "I'm not in that channel: invite me there first (`/invite "
                         "@firstfollower`), or choose another.");
    }
    return field_error("channel", "Slack didn't take it: " + why_slack_failed(posted));
  }
  spdlog::info("reflection {} shared by its author to {}", reflection.id, channel);
  services.slack.post_message(view.user_id,
                              Message::plain(":outbox_tray: Shared to <#" + channel + ">."));
  return Reply::none();
}

Reply remind(const ReflectServices& services, const BlockAction& action) {
  const auto found = own_reflection(services, action.value, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  auto reflection = std::get<store::Reflection>(found);
  const json value = json::parse(action.value, nullptr, false);
  const int days = value.value("d", 7);
  if (days < 1 || days > 60) return say("That button looks altered, so I ignored it.");
  const std::string zone = zone_of(services, action.user_id);
  const TimePoint due = next_allowed_moment(services.clock.now() + std::chrono::hours{24 * days},
                                            zone, services.nudge_settings.calendar);
  const std::string key = kFollowUpKey + std::to_string(reflection.id);
  services.jobs.cancel_key(key);
  store::NewJob job;
  job.kind = kFollowUpJob;
  job.due = due;
  job.grace = std::chrono::hours{72};
  job.payload = {{"r", reflection.id}};
  job.unique_key = key;
  job.subject_user = action.user_id;
  services.jobs.schedule(job);
  reflection.follow_up_due = due;
  services.reflections.update_reflection(reflection);
  return say(":calendar: I'll ask you on " + moment_in_words(due, zone) +
             " your time how it went.");
}

Message follow_up_message(const store::Reflection& r) {
  Message m;
  m.text = "How did it go?";
  m.add(blocks::section(":mag: Some days ago you chose your next step:\n*" +
                        mrkdwn::escape(mrkdwn::truncate(r.action, 2000)) + "*\nHow did it go?"));
  const auto value = [&](const char* status) { return json{{"r", r.id}, {"s", status}}.dump(); };
  m.add(blocks::actions(
      "reflect_follow_up",
      {blocks::button("Done it", kFollowUpAction, value("done"), blocks::ButtonStyle::kPrimary),
       blocks::button("Partly", kFollowUpAction, value("partly")),
       blocks::button("Not yet", kFollowUpAction, value("not-yet")),
       blocks::button("Write how it went", kFollowUpWriteAction, json{{"r", r.id}}.dump())}));
  m.add(blocks::context({"Only you see this, and what you answer stays with your reflection."}));
  return m;
}

Reply record_follow_up(const ReflectServices& services, const BlockAction& action) {
  const auto found = own_reflection(services, action.value, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  auto reflection = std::get<store::Reflection>(found);
  const std::string status = json::parse(action.value, nullptr, false).value("s", "");
  if (status != "done" && status != "partly" && status != "not-yet") {
    return say("That button looks altered, so I ignored it.");
  }
  reflection.follow_up_status = status;
  reflection.follow_up_at = services.clock.now();
  services.reflections.update_reflection(reflection);
  const char* words = status == "done"     ? ":tada: Done: well led."
                      : status == "partly" ? ":muscle: Partly: that still moved the gap."
                                           : ":seedling: Not yet: what is in the way is "
                                             "worth a thought too.";
  Message m;
  m.text = words;
  m.replace_original = true;
  m.add(blocks::section(std::string(words) + " Kept with your reflection."));
  m.add(blocks::actions("reflect_follow_up",
                        {blocks::button("Write how it went", kFollowUpWriteAction,
                                        json{{"r", reflection.id}}.dump())}));
  return Reply::with(m);
}

Reply open_follow_up_form(const ReflectServices& services, const BlockAction& action) {
  const auto found = own_reflection(services, action.value, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& reflection = std::get<store::Reflection>(found);
  std::vector<json> parts{
      blocks::section("*" + mrkdwn::escape(mrkdwn::truncate(reflection.action, 2000)) + "*"),
      blocks::text_input("answer", "text", "How did it go?",
                         "What happened, and what you would do next time", kAnswerLimit)};
  const ApiResult opened = services.slack.open_view(
      action.trigger_id, blocks::modal(kFollowUpModal, "How did it go?", "Keep it",
                                       std::move(parts), json{{"r", reflection.id}}.dump()));
  if (!opened.ok) return say("I couldn't open the form. " + why_slack_failed(opened));
  return Reply::none();
}

Reply submit_follow_up(const ReflectServices& services, const ViewSubmission& view) {
  if (view.closed) return Reply::none();
  const auto found = own_reflection(services, view.private_metadata, view.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return field_error("answer", *why);
  auto reflection = std::get<store::Reflection>(found);
  const std::string text = trimmed(view.form.text("answer", "text"));
  if (text.empty()) return field_error("answer", "Write a line or two, or close the form.");
  reflection.follow_up_answer = mrkdwn::truncate(text, kAnswerLimit);
  reflection.follow_up_at = services.clock.now();
  services.reflections.update_reflection(reflection);
  services.slack.post_message(
      view.user_id,
      Message::plain(":white_check_mark: Kept with your reflection. Only you see it."));
  return Reply::none();
}

Reply open_reflection(const ReflectServices& services, const BlockAction& action) {
  const auto found = own_reflection(services, action.value, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& reflection = std::get<store::Reflection>(found);
  return Reply::with(summary_message(services, reflection, reflection.state == "completed"));
}

}  // namespace

std::string flow_title(const ReflectServices& services, const std::string& flow_id) {
  const Flow* flow = services.prompts.flows().by_id(flow_id);
  return flow ? flow->title : flow_id;
}

Message summary_message(const ReflectServices& services, const store::Reflection& r,
                        bool with_buttons) {
  Message m;
  m.text = "Your reflection: " + flow_title(services, r.flow);
  m.add(blocks::header(flow_title(services, r.flow)));
  for (auto& block : answer_blocks(services, r)) m.add(std::move(block));
  if (!r.follow_up_status.empty() || !r.follow_up_answer.empty()) {
    std::string text = "*How it went*";
    if (!r.follow_up_status.empty()) text += ": " + r.follow_up_status;
    if (!r.follow_up_answer.empty()) text += "\n" + mrkdwn::escape(r.follow_up_answer);
    m.add(blocks::section(section_text(text)));
  }
  m.add(
      blocks::context({"Only you can see this. Nothing is posted anywhere unless you press "
                       "*Share to a channel*."}));
  if (with_buttons) {
    const auto value = [&](int days) { return json{{"r", r.id}, {"d", days}}.dump(); };
    std::vector<json> buttons{
        blocks::button("Share to a channel", kShareAction, json{{"r", r.id}}.dump())};
    if (!r.action.empty()) {
      buttons.push_back(blocks::button("Remind me in a week", kRemindAction, value(7),
                                       blocks::ButtonStyle::kPrimary));
      buttons.push_back(blocks::button("In 3 days", kRemindAction, value(3)));
      buttons.push_back(blocks::button("In 2 weeks", kRemindAction, value(14)));
    }
    m.add(blocks::actions("reflect_summary", std::move(buttons)));
  }
  return m;
}

Message shared_message(const ReflectServices& services, const store::Reflection& r,
                       const std::string& note) {
  Message m;
  m.text = "A reflection shared: " + flow_title(services, r.flow);
  m.add(blocks::section(":seedling: " + mrkdwn::mention(r.user_id) + " shares a reflection: *" +
                        mrkdwn::escape(flow_title(services, r.flow)) + "*"));
  if (!note.empty()) m.add(blocks::section(section_text(quoted(note, kNoteLimit))));
  for (auto& block : answer_blocks(services, r)) m.add(std::move(block));
  return m;
}

JobOutcome ask_follow_up(const ReflectServices& services, const store::Job& job,
                         JobControl& control) {
  const auto reflection = services.reflections.reflection(job.payload.value("r", std::int64_t{0}));
  // Forgotten, or answered already (from the summary's history): nothing to ask.
  if (!reflection || reflection->state != "completed" || reflection->follow_up_at) {
    return JobOutcome::done();
  }
  if (!control.begin_effect()) return JobOutcome::done();
  return outcome_of_post(
      services.slack.post_message(reflection->user_id, follow_up_message(*reflection)), job);
}

void register_ending(EnvelopeRouter::Routes& routes, const ReflectServices& services) {
  routes.action(kShareAction,
                [services](const BlockAction& a) { return open_share_form(services, a); });
  routes.view(kShareModal,
              [services](const ViewSubmission& v) { return submit_share(services, v); });
  routes.action(kRemindAction, [services](const BlockAction& a) { return remind(services, a); });
  routes.action(kFollowUpAction,
                [services](const BlockAction& a) { return record_follow_up(services, a); });
  routes.action(kFollowUpWriteAction,
                [services](const BlockAction& a) { return open_follow_up_form(services, a); });
  routes.view(kFollowUpModal,
              [services](const ViewSubmission& v) { return submit_follow_up(services, v); });
  routes.action(kOpenAction,
                [services](const BlockAction& a) { return open_reflection(services, a); });
}

}  // namespace ff::commands::reflect
