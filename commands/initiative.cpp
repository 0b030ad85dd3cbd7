#include "commands/initiative.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <variant>

#include <spdlog/spdlog.h>

#include "bot/schedule/working_time.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "commands/nit.hpp"
#include "commands/people.hpp"

namespace ff::commands {
namespace {

const char* const kDatabaseAway =
    ":warning: I can't reach my database right now, so nothing changed. Please try again in a "
    "minute.";

Reply say(const std::string& text) {
  return Reply::with(Message::plain(text));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string people_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!mrkdwn::is_user_id(id)) continue;
    out += (out.empty() ? "" : ", ") + mrkdwn::mention(id);
  }
  return out;
}

// The card as it stands: who leads it, who backs it, and buttons while open.
Message card(const store::Initiative& i, const std::vector<store::Endorsement>& backers) {
  std::vector<std::string> endorsers, followers;
  for (const auto& e : backers) (e.kind == "endorse" ? endorsers : followers).push_back(e.user_id);
  Message m;
  m.text = "Initiative #" + std::to_string(i.id) + ": " + mrkdwn::escape(i.title);
  m.add(blocks::section(
      ":seedling: *Initiative #" + std::to_string(i.id) + ": " + mrkdwn::escape(i.title) +
      "*\nLed by " + mrkdwn::mention(i.owner_id) +
      (i.description.empty() ? "" : "\n" + quoted(i.description, kDescriptionLimit))));
  std::vector<std::string> context;
  context.push_back(i.status == "open"   ? "Open"
                    : i.status == "done" ? ":white_check_mark: Done"
                                         : "Dropped");
  if (!endorsers.empty()) {
    context.push_back(":raised_hands: First follower: " + mrkdwn::mention(endorsers.front()));
    context.push_back("Endorsed by " + people_list(endorsers));
  } else if (i.status == "open") {
    context.push_back("No endorsement yet: the first follower turns an idea into a movement.");
  }
  if (!followers.empty()) context.push_back("Following: " + people_list(followers));
  m.add(blocks::context(context));
  if (i.status == "open") {
    const std::string id = std::to_string(i.id);
    m.add(blocks::actions(
        "initiative_" + id,
        {blocks::button("Endorse", kEndorseAction, id, blocks::ButtonStyle::kPrimary),
         blocks::button("Follow", kFollowAction, id),
         blocks::button("Give non-blocking feedback", kInitiativeFeedbackAction, id)}));
  }
  return m;
}

// Rewrites the card in place; a failure is logged, the state is already saved.
void refresh_card(Services& services, std::int64_t id) {
  const auto initiative = services.initiatives.initiative(id);
  if (!initiative || initiative->message_ts.empty()) return;
  const ApiResult updated =
      services.slack.update_message(initiative->channel_id, initiative->message_ts,
                                    card(*initiative, services.initiatives.endorsements(id)));
  if (!updated.ok) spdlog::warn("card of initiative {} not updated: {}", id, updated.error);
}

std::optional<std::int64_t> parse_id(std::string text) {
  text = trimmed(text);
  if (!text.empty() && text.front() == '#') text.erase(0, 1);
  if (text.empty() || text.size() > 15 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(text);
}

// The initiative `text` names, in `channel` (an empty channel accepts any).
// On failure, what to tell the person.
std::variant<store::Initiative, std::string> find(Services& services, const std::string& text,
                                                  const std::string& channel,
                                                  const std::string& usage) {
  const auto id = parse_id(text);
  if (!id) return "Which initiative? " + usage + " (`/initiative list` shows their numbers).";
  auto initiative = services.initiatives.initiative(*id);
  if (!initiative || (!channel.empty() && initiative->channel_id != channel)) {
    return "There is no initiative #" + std::to_string(*id) +
           " in this channel. `/initiative list` shows the open ones here.";
  }
  return *initiative;
}

// ---- nudges and reminders ----

std::string reminder_prefix(std::int64_t id) {
  return "initiative:" + std::to_string(id) + ":remind:";
}

// A person's time zone: from the profile cache while it is fresh, else from
// users.info (then cached again), else the stale cache, else UTC.
std::string time_zone_of(Services& services, const std::string& user) {
  constexpr auto kFreshFor = std::chrono::hours{24 * 7};
  std::optional<store::UserProfile> cached;
  try {
    cached = services.profiles.profile(user);
  } catch (const store::StoreError&) {
  }
  if (cached && services.clock.now() - cached->fetched_at < kFreshFor) return cached->time_zone;
  const ApiResult who = services.slack.user_info(user);
  if (!who.ok) return cached ? cached->time_zone : "UTC";
  const auto person = who.body.value("user", nlohmann::json::object());
  const std::string zone = person.value("tz", "UTC");
  try {
    services.profiles.put_profile(
        {user, zone, person.value("tz_offset", 0), person.value("name", ""), services.clock.now()});
  } catch (const store::StoreError&) {
  }
  return zone;
}

// The owner's managers and the channel's leads, once each, never the owner
// or the bot.
std::vector<std::string> backers_to_nudge(Services& services, const store::Initiative& i) {
  std::vector<std::string> people;
  auto add = [&](const std::vector<std::string>& more) {
    for (const auto& p : more) {
      if (p != i.owner_id && p != services.bot_user_id &&
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

// The DM asking `to` to back the initiative; `reminder` is 0 for the first
// nudge, then the reminder's number, `last` for the last one.
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
  text += "\n*#" + std::to_string(i.id) + " " + mrkdwn::escape(i.title) + "*";
  if (!i.description.empty()) text += "\n" + quoted(i.description, kDescriptionLimit);
  m.add(blocks::section(text));
  m.add(
      blocks::context({"A quick endorsement matters more than a perfect one: the first "
                       "follower turns an idea into a movement. You can add a non-blocking "
                       "nit if you would do it differently."}));
  const std::string value = nlohmann::json{{"i", i.id}, {"u", to}}.dump();
  m.add(blocks::actions("nudge", {blocks::button("Endorse", kNudgeEndorseAction, value,
                                                 blocks::ButtonStyle::kPrimary),
                                  blocks::button("Endorse with a nit", kNudgeNitAction, value),
                                  blocks::button("Not now", kNudgeNotNowAction, value)}));
  return m;
}

// Nudges each backer at once, and schedules their reminders in their own
// working time. Durable jobs carry the reminders across restarts, and their
// keys make scheduling them twice harmless.
void nudge_backers(Services& services, const store::Initiative& i) {
  const auto& settings = services.initiative_settings;
  for (const auto& person : backers_to_nudge(services, i)) {
    if (!services.initiatives.record_nudge(i.id, person, services.clock.now())) continue;
    const ApiResult sent = services.slack.post_message(person, nudge_message(i, person, 0, false));
    if (!sent.ok) spdlog::warn("nudge about initiative {} not sent: {}", i.id, sent.error);
    const std::string zone = time_zone_of(services, person);
    for (std::size_t n = 0; n < settings.reminders_after.size(); ++n) {
      store::NewJob job;
      job.kind = kReminderJob;
      job.due = after_working_time(i.created_at, settings.reminders_after[n], zone,
                                   settings.working_hours);
      job.grace = std::chrono::hours{4};
      job.payload = {{"initiative", i.id},
                     {"to", person},
                     {"reminder", n + 1},
                     {"last", n + 1 == settings.reminders_after.size()}};
      job.unique_key = reminder_prefix(i.id) + person + ":" + std::to_string(n + 1);
      job.subject_user = person;
      services.jobs.schedule(job);
    }
  }
}

Reply create(Services& services, const SlashCommand& command, const std::string& text) {
  std::string title = trimmed(text.substr(0, text.find('|')));
  const std::string description =
      text.find('|') == std::string::npos ? "" : trimmed(text.substr(text.find('|') + 1));
  if (title.empty()) {
    return say(
        "What will you lead? For example: `/initiative Faster code reviews | two "
        "reviewers at most, answers within a day`.");
  }
  if (mrkdwn::char_count(title) > kTitleLimit ||
      mrkdwn::char_count(description) > kDescriptionLimit) {
    return say("Keep the title under " + std::to_string(kTitleLimit) +
               " characters and the "
               "description under " +
               std::to_string(kDescriptionLimit) +
               "; the details can "
               "go in a thread under the card.");
  }
  store::Initiative initiative{
      0,  command.team_id,      command.channel_id, command.user_id, title, description, "open",
      {}, services.clock.now(), std::nullopt};
  initiative.id = services.initiatives.create_initiative(initiative);
  const ApiResult posted = services.slack.post_message(command.channel_id, card(initiative, {}));
  if (!posted.ok) {
    services.initiatives.close_initiative(initiative.id, "dropped", services.clock.now());
    return say("I couldn't post the card here (" + mrkdwn::escape(posted.error) +
               "). Add me to this channel and try again.");
  }
  services.initiatives.set_message_ts(initiative.id, posted.body.value("ts", ""));
  nudge_backers(services, initiative);
  return say(":seedling: Posted initiative #" + std::to_string(initiative.id) +
             ". The first person to endorse it becomes its first follower.");
}

// `/initiative leads [@a @b …]`: shows, or (admins) sets, who is nudged
// about every initiative of this channel.
Reply leads(Services& services, const SlashCommand& command, const std::string& text) {
  if (trimmed(text).empty()) {
    const auto current = services.initiatives.channel_leads(command.channel_id);
    return say(current.empty() ? "This channel has no leads. An admin can name them: "
                                 "`/initiative leads @a @b`."
                               : "Leads of this channel, nudged about every initiative here: " +
                                     people_list(current));
  }
  if (!services.is_admin(command.user_id)) {
    return say("Only an admin can name a channel's leads. Ask one of " +
               (services.admins.empty() ? std::string("your admins (bot.admins)")
                                        : people_list(services.admins)) +
               ".");
  }
  std::vector<std::string> people;
  std::string rest = trimmed(text);
  while (const auto mention = leading_mention(rest)) {
    if (const auto why = why_not_reachable(services, mention->user_id, {})) {
      return say(mrkdwn::mention(mention->user_id) + ": " + *why);
    }
    people.push_back(mention->user_id);
    rest = mention->rest;
  }
  if (rest == "none")
    people.clear();
  else if (!rest.empty() || people.empty()) {
    return say(
        "Name the leads with @, picked from Slack's list: `/initiative leads @a @b`, or "
        "`/initiative leads none`.");
  }
  services.initiatives.set_channel_leads(command.channel_id, people, command.user_id,
                                         services.clock.now());
  return say(people.empty() ? "This channel has no leads now."
                            : "Leads of this channel: " + people_list(people) +
                                  ". They will be nudged about every new initiative here.");
}

Reply list(Services& services, const std::string& channel) {
  const auto open = services.initiatives.open_initiatives(channel);
  if (open.empty()) {
    return say(
        "No open initiatives in this channel. Start one: `/initiative <title> | "
        "<description>`.");
  }
  std::string text = "*Open initiatives here*";
  for (const auto& i : open) {
    const auto backers = services.initiatives.endorsements(i.id);
    const auto endorsed = std::count_if(backers.begin(), backers.end(),
                                        [](const auto& e) { return e.kind == "endorse"; });
    text += "\n• #" + std::to_string(i.id) + " " + mrkdwn::escape(i.title) + ", led by " +
            mrkdwn::mention(i.owner_id) + " (" + std::to_string(endorsed) + " endorsed)";
  }
  return say(text);
}

Reply close(Services& services, const SlashCommand& command, const std::string& argument,
            const std::string& status) {
  const auto found =
      find(services, argument, command.channel_id,
           "Type `/initiative " + std::string(status == "done" ? "done" : "drop") + " <number>`");
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& initiative = std::get<store::Initiative>(found);
  if (initiative.owner_id != command.user_id && !services.is_admin(command.user_id)) {
    return say("Only " + mrkdwn::mention(initiative.owner_id) +
               ", who leads it, or an admin can close initiative #" +
               std::to_string(initiative.id) + ".");
  }
  if (!services.initiatives.close_initiative(initiative.id, status, services.clock.now())) {
    return say("Initiative #" + std::to_string(initiative.id) + " is already closed.");
  }
  services.jobs.cancel_keys_starting(reminder_prefix(initiative.id));
  refresh_card(services, initiative.id);
  return say(status == "done"
                 ? ":white_check_mark: Marked #" + std::to_string(initiative.id) +
                       " done. Who helped? Thank them where people can see it."
                 : "Dropped #" + std::to_string(initiative.id) + ". Stopping is a decision too.");
}

// Endorse or follow, from /endorse or a button.
Reply back(Services& services, const std::string& user, const std::string& id_text,
           const std::string& channel, const std::string& kind) {
  const auto found = find(services, id_text, channel, "Type `/endorse <number>`");
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& initiative = std::get<store::Initiative>(found);
  if (initiative.owner_id == user) {
    return say(
        "It's your own initiative: you lead it already. Ask someone whose support "
        "matters to endorse it.");
  }
  const auto result =
      services.initiatives.endorse({initiative.id, user, kind, {}, services.clock.now()});
  const std::string name =
      "#" + std::to_string(initiative.id) + " " + mrkdwn::escape(initiative.title);
  switch (result.outcome) {
    case store::EndorseOutcome::kNotFound:
      return say("There is no initiative " + name + " any more.");
    case store::EndorseOutcome::kNotOpen:
      return say("Initiative " + name + " is already closed, so it needs no more backing.");
    case store::EndorseOutcome::kAlreadyThere:
      return say(kind == "endorse" ? "You already endorsed " + name + ". Thank you!"
                                   : "You already follow " + name + ".");
    case store::EndorseOutcome::kAdded:
      break;
  }
  if (kind == "endorse") {
    // Support has come: nobody needs reminding any more.
    services.jobs.cancel_keys_starting(reminder_prefix(initiative.id));
    services.initiatives.answer_nudge(initiative.id, user, "endorsed", services.clock.now());
  }
  refresh_card(services, initiative.id);
  Message to_owner;
  to_owner.text = "Your initiative has a new backer";
  to_owner.add(blocks::section(
      mrkdwn::mention(user) + (kind == "endorse" ? " endorsed" : " follows") + " your initiative " +
      name + "." +
      (result.first ? " They are its *first follower*: the one who turns a lone idea into a "
                      "movement."
                    : "")));
  services.slack.post_message(initiative.owner_id, to_owner);
  return say(kind == "endorse" ? (result.first ? ":raised_hands: You are the first follower of " +
                                                     name + ". That is what makes a leader."
                                               : ":raised_hands: You endorsed " + name + ".")
                               : "You follow " + name + "; the card shows it.");
}

// ---- the nudge's buttons ----

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

// ---- figures ----

std::string duration_text(std::chrono::system_clock::duration d) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  if (minutes < 60) return std::to_string(minutes) + " min";
  if (minutes < 48 * 60) {
    return std::to_string(minutes / 60) + " h" +
           (minutes % 60 ? " " + std::to_string(minutes % 60) + " min" : std::string());
  }
  return std::to_string(minutes / (24 * 60)) + " days";
}

std::chrono::system_clock::duration median(std::vector<std::chrono::system_clock::duration> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

Reply stats(Services& services, const std::string& channel) {
  const auto timings = services.initiatives.initiative_timings(channel);
  if (timings.empty()) return say("No initiatives in this channel yet, so no figures.");
  std::vector<std::chrono::system_clock::duration> to_first;
  std::map<std::string, std::vector<std::chrono::system_clock::duration>> by_person;
  std::size_t within_a_day = 0;
  std::string lines;
  for (const auto& t : timings) {
    std::string line = "\n• #" + std::to_string(t.initiative_id) + ": ";
    if (t.first_endorsed_at) {
      const auto took = *t.first_endorsed_at - t.created_at;
      to_first.push_back(took);
      const auto day_later = after_working_time(
          t.created_at, services.initiative_settings.working_hours.per_day(),
          time_zone_of(services, t.owner_id), services.initiative_settings.working_hours);
      if (*t.first_endorsed_at <= day_later) ++within_a_day;
      line += "first endorsement after " + duration_text(took);
    } else {
      line += "no endorsement yet";
    }
    for (const auto& [person, endorsed] : t.nudged) {
      if (endorsed) by_person[person].push_back(*endorsed - t.created_at);
    }
    if (timings.size() <= 20) lines += line;
  }
  std::string text = "*How quickly initiatives here found support*";
  text +=
      "\n• Initiatives: " + std::to_string(timings.size()) +
      ", endorsed within a working day: " + std::to_string(within_a_day * 100 / timings.size()) +
      "%";
  if (!to_first.empty()) {
    text += "\n• Median time to the first endorsement: " + duration_text(median(to_first));
  }
  for (const auto& [person, times] : by_person) {
    if (!mrkdwn::is_user_id(person)) continue;
    text += "\n• " + mrkdwn::mention(person) + " endorsed after a median of " +
            duration_text(median(times)) + " (" + std::to_string(times.size()) + " initiatives)";
  }
  return say(text + lines);
}

Reply guarded(const std::function<Reply()>& work) {
  try {
    return work();
  } catch (const store::StoreError& error) {
    spdlog::warn("initiative: {}", error.what());
    return say(kDatabaseAway);
  }
}

}  // namespace

void register_initiative_jobs(JobScheduler& scheduler, Services& services) {
  scheduler.handle(kReminderJob, [&services](const store::Job& job, JobControl& control) {
    const std::int64_t id = job.payload.value("initiative", std::int64_t{0});
    const std::string to = job.payload.value("to", "");
    if (!mrkdwn::is_user_id(to)) return JobOutcome::failed("reminder without a person");
    const auto initiative = services.initiatives.initiative(id);
    // Support came, or it closed, after this was scheduled: nothing to say.
    if (!initiative || initiative->status != "open") return JobOutcome::done();
    for (const auto& e : services.initiatives.endorsements(id)) {
      if (e.kind == "endorse") return JobOutcome::done();
    }
    if (!control.begin_effect()) return JobOutcome::done();
    const ApiResult sent = services.slack.post_message(
        to, nudge_message(*initiative, to, job.payload.value("reminder", 1),
                          job.payload.value("last", true)));
    return sent.ok ? JobOutcome::done() : JobOutcome::failed("chat.postMessage: " + sent.error);
  });
}

void register_initiative(EnvelopeRouter& router, Services& services) {
  router.command("/initiative", [&services](const SlashCommand& command) {
    return guarded([&] {
      const std::string text = trimmed(command.text);
      const std::string word = lower(text.substr(0, text.find(' ')));
      const std::string rest =
          text.find(' ') == std::string::npos ? "" : text.substr(text.find(' ') + 1);
      if (text.empty() || word == "help") {
        return say(
            "*`/initiative <title> | <description>`* proposes an improvement you will lead: I "
            "post a card with buttons to endorse, follow or give non-blocking feedback.\n"
            "*`/initiative list`* the open ones in this channel\n"
            "*`/initiative stats`* how quickly initiatives here found support\n"
            "*`/initiative leads @a @b`* (admins) who is nudged about every initiative here\n"
            "*`/initiative done <number>`*, *`/initiative drop <number>`* close one (who leads "
            "it, or an admin)\n"
            "*`/endorse <number>`* endorses one");
      }
      if (word == "list") return list(services, command.channel_id);
      if (word == "stats") return stats(services, command.channel_id);
      if (word == "leads") return leads(services, command, rest);
      if (word == "done" || word == "drop") {
        return close(services, command, rest, word == "done" ? "done" : "dropped");
      }
      return create(services, command, text);
    });
  });
  router.command("/endorse", [&services](const SlashCommand& command) {
    return guarded([&] {
      return back(services, command.user_id, command.text, command.channel_id, "endorse");
    });
  });
  router.action(kEndorseAction, [&services](const BlockAction& action) {
    return guarded([&] { return back(services, action.user_id, action.value, {}, "endorse"); });
  });
  router.action(kFollowAction, [&services](const BlockAction& action) {
    return guarded([&] { return back(services, action.user_id, action.value, {}, "follow"); });
  });

  router.action(kNudgeEndorseAction, [&services](const BlockAction& action) {
    return guarded([&] {
      const auto nudge = nudge_of(action.value, action.user_id);
      if (const auto* why = std::get_if<std::string>(&nudge)) return say(*why);
      const auto& n = std::get<NudgeValue>(nudge);
      return answered(back(services, action.user_id, std::to_string(n.initiative), {}, "endorse"));
    });
  });
  router.action(kNudgeNotNowAction, [&services](const BlockAction& action) {
    return guarded([&] {
      const auto nudge = nudge_of(action.value, action.user_id);
      if (const auto* why = std::get_if<std::string>(&nudge)) return say(*why);
      const auto& n = std::get<NudgeValue>(nudge);
      services.initiatives.answer_nudge(n.initiative, n.to, "not now", services.clock.now());
      services.jobs.cancel_keys_starting(reminder_prefix(n.initiative) + n.to + ":");
      return answered(say("Okay, not now. I won't remind you about #" +
                          std::to_string(n.initiative) + "; `/endorse " +
                          std::to_string(n.initiative) + "` works whenever you are ready."));
    });
  });
  router.action(kNudgeNitAction, [&services](const BlockAction& action) {
    return guarded([&] {
      const auto nudge = nudge_of(action.value, action.user_id);
      if (const auto* why = std::get_if<std::string>(&nudge)) return say(*why);
      const auto& n = std::get<NudgeValue>(nudge);
      const auto initiative = services.initiatives.initiative(n.initiative);
      if (!initiative) return say("That initiative no longer exists.");
      std::vector<nlohmann::json> parts{
          blocks::section("*Endorse #" + std::to_string(initiative->id) + " " +
                          mrkdwn::escape(initiative->title) +
                          "*\nYour endorsement counts in "
                          "full; the nit is theirs to take or leave."),
          blocks::text_input("nit_text", "text", "Your non-blocking nit",
                             "What you would do differently, in a line or two.", kFeedbackLimit)};
      return form_opened(services.slack.open_view(
          action.trigger_id,
          blocks::modal(kNudgeNitModal, "Endorse with a nit", "Endorse", std::move(parts),
                        nlohmann::json{{"i", n.initiative}, {"u", n.to}}.dump())));
    });
  });
  router.view(kNudgeNitModal, [&services](const ViewSubmission& view) {
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
    const std::string nit = trimmed(view.state_values.value("nit_text", nlohmann::json::object())
                                        .value("text", nlohmann::json::object())
                                        .value("value", ""));
    if (nit.empty()) return error("Write the nit, or close this and press Endorse.");
    try {
      const auto initiative = services.initiatives.initiative(n.initiative);
      if (!initiative) return error("That initiative no longer exists.");
      const Reply endorsed =
          back(services, view.user_id, std::to_string(n.initiative), {}, "endorse");
      if (const auto failed = deliver_feedback(
              services, {view.user_id, initiative->owner_id, initiative->channel_id, nit, true,
                         "#" + std::to_string(initiative->id) + " " + initiative->title})) {
        return error(*failed);
      }
      if (endorsed.message) services.slack.post_message(view.user_id, *endorsed.message);
    } catch (const store::StoreError&) {
      return error(kDatabaseAway);
    }
    return reply;
  });
  router.action(kInitiativeFeedbackAction, [&services](const BlockAction& action) {
    return guarded([&] {
      const auto found = find(services, action.value, {}, "Type `/nit @someone <feedback>`");
      if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
      const auto& initiative = std::get<store::Initiative>(found);
      if (initiative.owner_id == action.user_id) return say("That's your own initiative.");
      return form_opened(open_nit_modal(services, action.trigger_id, initiative.owner_id,
                                        initiative.channel_id, initiative.title));
    });
  });
}

}  // namespace ff::commands
