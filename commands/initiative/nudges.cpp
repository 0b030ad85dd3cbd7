// Nudging managers and leads to back a new initiative quickly, and the nudge's buttons.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/initiative/parts.hpp"
#include "commands/nit.hpp"
#include "commands/people.hpp"

namespace ff::commands::initiative {
namespace {

// The owner's managers and the channel's leads, once each, never the owner
// or the bot.
std::vector<std::string> backers_to_nudge(const InitiativeServices& services,
                                          const store::Initiative& i) {
  std::vector<std::string> people;
  auto add = [&](const std::vector<std::string>& more) {
    for (const auto& p : more) {
      if (p != i.owner_id && p != services.roles.bot_user_id &&
          std::find(people.begin(), people.end(), p) == people.end()) {
        people.push_back(p);
      }
    }
  };
  const auto& settings = services.initiative_settings;
  if (const auto m = settings.managers.find(i.owner_id); m != settings.managers.end())
    add(m->second);
  if (const auto l = settings.channel_leads.find(i.channel_id); l != settings.channel_leads.end()) {
    add(l->second);
  }
  add(services.initiatives.channel_leads(i.channel_id));
  return people;
}

struct NudgeValue {
  std::int64_t initiative = 0;
  std::string to;
};

// The button's value, checked against who pressed it: only the person
// nudged acts on their nudge.
std::variant<NudgeValue, std::string> nudge_of(const std::string& value,
                                               const std::string& presser) {
  const auto json = nlohmann::json::parse(value, nullptr, false);
  if (!json.is_object() || !json["i"].is_number_integer() || !json["u"].is_string() ||
      !mrkdwn::is_user_id(json["u"].get<std::string>())) {
    return std::string("That button looks altered, so I ignored it.");
  }
  NudgeValue nudge{json["i"].get<std::int64_t>(), json["u"].get<std::string>()};
  if (nudge.to != presser) {
    return "This nudge was for " + mrkdwn::mention(nudge.to) + ", so only they can answer it.";
  }
  return nudge;
}

Reply answered(Reply reply) {
  if (reply.message) reply.message->replace_original = true;
  return reply;
}

}  // namespace

Message nudge_message(const store::Initiative& i, const std::string& to, int reminder, bool last) {
  Message m;
  m.text = "An initiative is waiting for your support";
  std::string text = reminder == 0 ? ":seedling: " + mrkdwn::mention(i.owner_id) +
                                         " started an initiative in <#" + i.channel_id + ">:"
                     : last ? ":hourglass: A last nudge, then I'll leave it with you. " +
                                  mrkdwn::mention(i.owner_id) +
                                  "'s initiative still has no endorsement:"
                            : ":hourglass: A reminder: " + mrkdwn::mention(i.owner_id) +
                                  "'s initiative is still waiting for its first endorsement:";
  text += "\n*#" + std::to_string(i.id) + " " + mrkdwn::escape_keeping_mentions(i.title) + "*";
  if (!i.description.empty()) text += "\n" + quoted(i.description, kDescriptionLimit);
  m.add(blocks::section(text));
  m.add(
      blocks::context({"A quick endorsement matters more than a perfect one: the first "
                       "follower turns an idea into a movement. You can add a non-blocking "
                       "nit if you would do it differently."}));
  m.add(endorsement_buttons(i, to, "nudge"));
  return m;
}

void nudge_backers(const InitiativeServices& services, const store::Initiative& i) {
  for (const auto& person : backers_to_nudge(services, i)) {
    if (!services.initiatives.record_nudge(i.id, person, services.clock.now())) continue;
    services.home.changed(person);  // it waits for them there now
    // A durable job, due at once, so the first nudge survives a Slack
    // outage, a restart and a second instance, and goes out once.
    store::NewJob nudge;
    nudge.kind = kFirstNudgeJob;
    nudge.due = services.clock.now();
    nudge.grace = std::chrono::hours{24};
    nudge.payload = {{"initiative", i.id}, {"to", person}};
    nudge.unique_key = "initiative:" + std::to_string(i.id) + ":nudge:" + person;
    nudge.subject_user = person;
    services.jobs.schedule(nudge);
    schedule_reminders(services, i, person);
  }
}

JobOutcome send_nudge(const InitiativeServices& services, const store::Job& job,
                      JobControl& control, int reminder, bool last) {
  const std::int64_t id = job.payload.value("initiative", std::int64_t{0});
  const std::string to = job.payload.value("to", "");
  if (!mrkdwn::is_user_id(to)) return JobOutcome::failed("nudge without a person");
  const auto initiative = services.initiatives.initiative(id);
  // It closed before the nudge could go: nothing to ask for.
  if (!initiative || initiative->status != "open") return JobOutcome::done();
  // Support came after a reminder was scheduled: nobody needs reminding.
  if (reminder > 0) {
    for (const auto& e : services.initiatives.endorsements(id)) {
      if (e.kind == "endorse") return JobOutcome::done();
    }
  }
  if (!control.begin_effect()) return JobOutcome::done();
  const ApiResult sent =
      services.slack.post_message(to, nudge_message(*initiative, to, reminder, last));
  if (sent.ok) {
    try {
      services.initiatives.set_nudge_message(id, to, sent.body.value("channel", ""),
                                             sent.body.value("ts", ""));
    } catch (const store::StoreError& error) {
      // The nudge went out; it just won't be updated later.
      spdlog::warn("where the nudge of {} about #{} went was not saved: {}", to, id, error.what());
    }
  }
  return outcome_of_post(sent, job);
}

namespace {

// A nudge as it should read now: closed, endorsed by this person, answered
// "not now", or still asking (with who endorsed so far).
Message nudge_now(const store::Initiative& i, const store::NudgeRecord& nudge,
                  const std::vector<store::Endorsement>& backers) {
  const std::string name =
      "#" + std::to_string(i.id) + " " + mrkdwn::escape_keeping_mentions(i.title);
  std::vector<std::string> endorsers;
  for (const auto& e : backers) {
    if (e.kind == "endorse") endorsers.push_back(e.user_id);
  }
  const bool endorsed_it =
      std::find(endorsers.begin(), endorsers.end(), nudge.user_id) != endorsers.end();
  if (i.status != "open") {
    return Message::plain(std::string(i.status == "done" ? ":white_check_mark: " : "") + "*" +
                          name + "* is " + (i.status == "done" ? "done" : "dropped") +
                          ". Nothing waits for you here.");
  }
  if (endorsed_it) return Message::plain(":raised_hands: You endorsed *" + name + "*. Thank you!");
  if (nudge.answer == "not now") {
    return Message::plain("You said not now to *" + name + "*. `/endorse " + std::to_string(i.id) +
                          "` works whenever you are ready.");
  }
  Message m = nudge_message(i, nudge.user_id, 0, false);
  if (!endorsers.empty()) {
    m.blocks.insert(m.blocks.end() - 1,
                    blocks::context({"Endorsed so far by " + people_list(endorsers) +
                                     ". Yours still counts."}));
  }
  return m;
}

}  // namespace

void refresh_nudges(const InitiativeServices& services, std::int64_t id, const std::string& user) {
  const auto initiative = services.initiatives.initiative(id);
  if (!initiative) return;
  const auto backers = services.initiatives.endorsements(id);
  for (const auto& nudge : services.initiatives.nudged(id)) {
    if (!user.empty() && nudge.user_id != user) continue;
    // Their App Home shows it waiting, or no longer.
    services.home.changed(nudge.user_id);
    if (nudge.message_ts.empty()) continue;
    const ApiResult updated = services.slack.update_message(nudge.message_channel, nudge.message_ts,
                                                            nudge_now(*initiative, nudge, backers));
    if (!updated.ok) {
      spdlog::warn("nudge of {} about #{} not updated: {}", nudge.user_id, id, updated.error);
    }
  }
}

JobOutcome send_closed_notice(const InitiativeServices& services, const store::Job& job,
                              JobControl& control) {
  const std::int64_t id = job.payload.value("initiative", std::int64_t{0});
  const std::string to = job.payload.value("to", "");
  const std::string by = job.payload.value("by", "");
  if (!mrkdwn::is_user_id(to) || !mrkdwn::is_user_id(by)) {
    return JobOutcome::failed("closed notice without its people");
  }
  const auto initiative = services.initiatives.initiative(id);
  if (!initiative || initiative->status == "open" || initiative->status == "draft") {
    return JobOutcome::done();
  }
  const bool done = initiative->status == "done";
  const std::string name =
      "#" + std::to_string(id) + " " + mrkdwn::escape_keeping_mentions(initiative->title);
  Message m;
  if (to == initiative->owner_id) {
    m.text = "Your initiative was closed";
    m.add(blocks::section(
        mrkdwn::mention(by) + (done ? " marked your initiative *" : " dropped your initiative *") +
        name + (done ? "* done." : "*.") + " Ask them why if you did not expect it."));
  } else {
    m.text = done ? "An initiative you back is done" : "An initiative you back was dropped";
    m.add(blocks::section(
        (done ? ":white_check_mark: *" : "*") + name + "*, which you back, " +
        (done ? "is done. " + mrkdwn::mention(initiative->owner_id) +
                    " led it; a word of thanks goes a long way."
              : "was dropped by " + mrkdwn::mention(by) + ". Stopping is a decision too.")));
  }
  if (!control.begin_effect()) return JobOutcome::done();
  return outcome_of_post(services.slack.post_message(to, m), job);
}

void register_nudge_buttons(EnvelopeRouter::Routes routes, const InitiativeServices& services) {
  routes.action(kNudgeEndorseAction, [services](const BlockAction& action) {
    const auto nudge = nudge_of(action.value, action.user_id);
    if (const auto* why = std::get_if<std::string>(&nudge)) return say(*why);
    const auto& n = std::get<NudgeValue>(nudge);
    return answered(back(services, action.user_id, std::to_string(n.initiative), {}, "endorse"));
  });
  routes.action(kNudgeNotNowAction, [services](const BlockAction& action) {
    const auto nudge = nudge_of(action.value, action.user_id);
    if (const auto* why = std::get_if<std::string>(&nudge)) return say(*why);
    const auto& n = std::get<NudgeValue>(nudge);
    for (const auto& e : services.initiatives.endorsements(n.initiative)) {
      if (e.user_id == n.to && e.kind == "endorse") {
        return answered(say("You endorsed #" + std::to_string(n.initiative) +
                            " already, so there is nothing to say no to. Thank you!"));
      }
    }
    services.initiatives.answer_nudge(n.initiative, n.to, "not now", services.clock.now());
    services.home.changed(n.to);
    services.jobs.cancel_keys_starting(reminder_prefix(n.initiative) + n.to + ":");
    return answered(say("Okay, not now. I won't remind you about #" + std::to_string(n.initiative) +
                        "; `/endorse " + std::to_string(n.initiative) +
                        "` works whenever you are ready."));
  });
  routes.action(kNudgeNitAction, [services](const BlockAction& action) {
    const auto nudge = nudge_of(action.value, action.user_id);
    if (const auto* why = std::get_if<std::string>(&nudge)) return say(*why);
    const auto& n = std::get<NudgeValue>(nudge);
    const auto initiative = services.initiatives.initiative(n.initiative);
    if (!initiative) return say("That initiative no longer exists.");
    std::vector<nlohmann::json> parts{
        blocks::section("*Endorse #" + std::to_string(initiative->id) + " " +
                        mrkdwn::escape_keeping_mentions(initiative->title) +
                        "*\nYour endorsement counts in "
                        "full; the nit is theirs to take or leave."),
        blocks::text_input("nit_text", "text", "Your non-blocking nit",
                           "What you would do differently, in a line or two.", kFeedbackLimit)};
    return form_opened(services.slack.open_view(
        action.trigger_id,
        blocks::modal(kNudgeNitModal, "Endorse with a nit", "Endorse", std::move(parts),
                      nlohmann::json{{"i", n.initiative}, {"u", n.to}}.dump())));
  });
  routes.view(kNudgeNitModal, [services](const ViewSubmission& view) {
    Reply reply;
    if (view.closed) return reply;
    const auto nudge = nudge_of(view.private_metadata, view.user_id);
    const auto error = [](const std::string& message) {
      Reply r;
      r.view_response =
          nlohmann::json{{"response_action", "errors"}, {"errors", {{"nit_text", message}}}};
      return r;
    };
    if (const auto* why = std::get_if<std::string>(&nudge)) return error(*why);
    const auto& n = std::get<NudgeValue>(nudge);
    const std::string nit = trimmed(view.form.text("nit_text", "text"));
    if (nit.empty()) return error("Write the nit, or close this and press Endorse.");
    try {
      const auto initiative = services.initiatives.initiative(n.initiative);
      if (!initiative) return error("That initiative no longer exists.");
      const Reply endorsed =
          back(services, view.user_id, std::to_string(n.initiative), {}, "endorse");
      if (const auto failed = deliver_feedback(
              services.feedback_services(),
              {view.user_id, initiative->owner_id, initiative->channel_id, nit, true,
               "#" + std::to_string(initiative->id) + " " + initiative->title})) {
        return error(*failed);
      }
      if (endorsed.message) services.slack.post_message(view.user_id, *endorsed.message);
    } catch (const store::StoreError&) {
      return error(kDatabaseAway);
    }
    return reply;
  });
}

}  // namespace ff::commands::initiative

namespace ff::commands {

nlohmann::json endorsement_buttons(const store::Initiative& i, const std::string& to,
                                   std::string_view block_id) {
  const std::string value = nlohmann::json{{"i", i.id}, {"u", to}}.dump();
  return blocks::actions(block_id, {blocks::button("Endorse", kNudgeEndorseAction, value,
                                                   blocks::ButtonStyle::kPrimary),
                                    blocks::button("Endorse with a nit", kNudgeNitAction, value),
                                    blocks::button("Not now", kNudgeNotNowAction, value)});
}

Message endorsement_request(const store::Initiative& initiative, const std::string& to) {
  return initiative::nudge_message(initiative, to, 0, false);
}

}  // namespace ff::commands
