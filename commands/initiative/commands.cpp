// /initiative and /endorse: proposing, listing, closing, the channel's leads, the figures, and the
// card's buttons.
#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "bot/schedule/working_time.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "commands/initiative/parts.hpp"
#include "commands/nit.hpp"
#include "commands/people.hpp"
#include "commands/wording.hpp"

namespace ff::commands::initiative {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The channel a card's button was pressed in. A card only lives in a
// channel, so a press without one matches no initiative.
std::string card_channel(const BlockAction& action) {
  return action.channel_id.empty() ? std::string("(no channel)") : action.channel_id;
}

// `/initiative leads [@a @b …]`: shows, or (admins) sets, who is nudged
// about every initiative of this channel.
Reply leads(const InitiativeServices& services, const SlashCommand& command,
            const std::string& text) {
  if (trimmed(text).empty()) {
    const auto current = services.initiatives.channel_leads(command.channel_id);
    return say(current.empty() ? "This channel has no leads. An admin can name them: "
                                 "`/initiative leads @a @b`."
                               : "Leads of this channel, nudged about every initiative here: " +
                                     people_list(current));
  }
  if (!services.is_admin(command.user_id)) {
    return say("Only an admin can name a channel's leads. Ask one of " +
               (services.roles.admins.empty() ? std::string("your admins (bot.admins)")
                                              : people_list(services.roles.admins)) +
               ".");
  }
  // All named first, checked after: a list too long is refused before it
  // costs a Slack call per person.
  auto [people, rest, too_many] = leading_mentions(text, kMentionLimit);
  if (too_many) {
    return say("A channel can have at most " + std::to_string(kMentionLimit) +
               " leads. Name the few who should hear about every initiative here.");
  }
  if (rest == "none")
    people.clear();
  else if (!rest.empty() || people.empty()) {
    return say(
        "Name the leads with @, picked from Slack's list: `/initiative leads @a @b`, or "
        "`/initiative leads none`.");
  }
  for (const auto& person : people) {
    if (const auto why = why_not_reachable(services, person, {})) {
      return say(mrkdwn::mention(person) + ": " + *why);
    }
  }
  services.initiatives.set_channel_leads(command.channel_id, people, command.user_id,
                                         services.clock.now());
  return say(people.empty() ? "This channel has no leads now."
                            : "Leads of this channel: " + people_list(people) +
                                  ". They will be nudged about every new initiative here.");
}

Reply list(const InitiativeServices& services, const std::string& channel) {
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
    text += "\n• #" + std::to_string(i.id) + " " + mrkdwn::escape_keeping_mentions(i.title) +
            ", led by " + mrkdwn::mention(i.owner_id) + " (" + std::to_string(endorsed) +
            " endorsed)";
  }
  return say(text);
}

// Everyone who backs it hears that it closed, and so does the owner when an
// admin closed it: one durable job each, keyed so a repeat sends nothing.
void tell_about_close(const InitiativeServices& services, const store::Initiative& initiative,
                      const std::string& closed_by) {
  std::vector<std::string> people;
  if (closed_by != initiative.owner_id) people.push_back(initiative.owner_id);
  for (const auto& e : services.initiatives.endorsements(initiative.id)) {
    if (e.user_id != closed_by && e.user_id != initiative.owner_id &&
        std::find(people.begin(), people.end(), e.user_id) == people.end()) {
      people.push_back(e.user_id);
    }
  }
  for (const auto& person : people) {
    store::NewJob notice;
    notice.kind = kClosedNoticeJob;
    notice.due = services.clock.now();
    notice.grace = std::chrono::hours{24};
    notice.payload = {{"initiative", initiative.id}, {"to", person}, {"by", closed_by}};
    notice.unique_key = "initiative:" + std::to_string(initiative.id) + ":closed:" + person;
    notice.subject_user = person;
    services.jobs.schedule(notice);
  }
}

// `/initiative unfollow <number>` and the Unfollow button.
Reply unfollow(const InitiativeServices& services, const std::string& user,
               const std::string& id_text, const std::string& channel) {
  const auto found = find(services, id_text, channel, "Type `/initiative unfollow <number>`");
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& initiative = std::get<store::Initiative>(found);
  const std::string number = "#" + std::to_string(initiative.id);
  if (!services.initiatives.unfollow(initiative.id, user)) {
    return say("You don't follow " + number + ", so there is nothing to stop.");
  }
  refresh_card(services, initiative.id);
  return say("You no longer follow " + number + ".");
}

// Done or dropped, by its owner or an admin: from /initiative done|drop,
// or from Done and Drop on the owner's App Home.
Reply close_initiative(const InitiativeServices& services, const std::string& user,
                       const store::Initiative& initiative, const std::string& status) {
  if (initiative.owner_id != user && !services.is_admin(user)) {
    return say("Only " + mrkdwn::mention(initiative.owner_id) +
               ", who leads it, or an admin can close initiative #" +
               std::to_string(initiative.id) + ".");
  }
  if (!services.initiatives.move_initiative(initiative.id, "open", status, services.clock.now())) {
    return say("Initiative #" + std::to_string(initiative.id) + " is already closed.");
  }
  services.jobs.cancel_keys_starting(reminder_prefix(initiative.id));
  refresh_card(services, initiative.id);
  refresh_nudges(services, initiative.id, {});
  tell_about_close(services, initiative, user);
  return say(status == "done"
                 ? ":white_check_mark: Marked #" + std::to_string(initiative.id) +
                       " done. Who helped? Thank them where people can see it."
                 : "Dropped #" + std::to_string(initiative.id) + ". Stopping is a decision too.");
}

Reply close(const InitiativeServices& services, const SlashCommand& command,
            const std::string& argument, const std::string& status) {
  const auto found =
      find(services, argument, command.channel_id,
           "Type `/initiative " + std::string(status == "done" ? "done" : "drop") + " <number>`");
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  return close_initiative(services, command.user_id, std::get<store::Initiative>(found), status);
}

}  // namespace

Reply back(const InitiativeServices& services, const std::string& user, const std::string& id_text,
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
      "#" + std::to_string(initiative.id) + " " + mrkdwn::escape_keeping_mentions(initiative.title);
  switch (result.outcome) {
    case store::EndorseOutcome::kNotFound:
      return say("There is no initiative " + name + " any more.");
    case store::EndorseOutcome::kNotOpen:
      return say("Initiative " + name + " is already closed, so it needs no more backing.");
    case store::EndorseOutcome::kAlreadyThere: {
      if (kind == "endorse") return say("You already endorsed " + name + ". Thank you!");
      Message m = Message::plain("You already follow " + name + ".");
      m.add(blocks::actions(
          "initiative_unfollow",
          {blocks::button("Unfollow", kUnfollowAction, std::to_string(initiative.id))}));
      return Reply::with(std::move(m));
    }
    case store::EndorseOutcome::kAdded:
      break;
  }
  if (kind == "endorse") {
    // Support has come: nobody needs reminding any more.
    services.jobs.cancel_keys_starting(reminder_prefix(initiative.id));
    services.initiatives.answer_nudge(initiative.id, user, "endorsed", services.clock.now());
  }
  refresh_card(services, initiative.id);
  // The first endorsement ends everyone's "still waiting" nudge; a later one
  // only the endorser's own.
  if (kind == "endorse") refresh_nudges(services, initiative.id, result.first ? "" : user);
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

namespace {

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

// The channel's figures for anyone; how quickly each person endorsed only
// for admins, or for that person themself.
Reply stats(const InitiativeServices& services, const std::string& channel,
            const std::string& asker) {
  const auto timings = services.initiatives.initiative_timings(channel);
  if (timings.empty()) return say("No initiatives in this channel yet, so no figures.");
  std::vector<std::chrono::system_clock::duration> to_first;
  std::map<std::string, std::vector<std::chrono::system_clock::duration>> by_person;
  std::int64_t within_a_day = 0, old_enough = 0, too_new = 0;
  std::string lines;
  for (const auto& t : timings) {
    const auto day_later = after_working_time(
        t.created_at, services.initiative_settings.working_hours.per_day(),
        time_zone_of(services, t.owner_id), services.initiative_settings.working_hours);
    // One younger than a working day has not had its chance yet: counting
    // it would make support look slower (or, endorsed at once, faster) than
    // it is.
    if (services.clock.now() < day_later) {
      ++too_new;
      continue;
    }
    ++old_enough;
    std::string line = "\n• #" + std::to_string(t.initiative_id) + ": ";
    if (t.first_endorsed_at) {
      const auto took = *t.first_endorsed_at - t.created_at;
      to_first.push_back(took);
      if (*t.first_endorsed_at <= day_later) ++within_a_day;
      line += "first endorsement after " + duration_text(took);
    } else {
      line += "no endorsement yet";
    }
    for (const auto& [person, endorsed] : t.nudged) {
      if (endorsed) by_person[person].push_back(*endorsed - t.created_at);
    }
    if (old_enough <= 20) lines += line;
  }
  const std::string newer = too_new == 0 ? std::string()
                                         : "\n_" + counted(too_new, "initiative") +
                                               " younger than a working day " +
                                               (too_new == 1 ? "is" : "are") + " not counted yet._";
  if (old_enough == 0) {
    return say("No initiative here is a working day old yet, so no figures." + newer);
  }
  std::string text = "*How quickly initiatives here found support*";
  text += "\n• Initiatives: " + std::to_string(old_enough) +
          ", endorsed within a working day: " + percent(within_a_day, old_enough);
  if (!to_first.empty()) {
    text += "\n• Median time to the first endorsement: " + duration_text(median(to_first));
  }
  const bool admin = services.is_admin(asker);
  bool others_left_out = false;
  for (const auto& [person, times] : by_person) {
    if (!mrkdwn::is_user_id(person)) continue;
    if (!admin && person != asker) {
      others_left_out = true;
      continue;
    }
    text += "\n• " + (person == asker ? std::string("You") : mrkdwn::mention(person)) +
            " endorsed after a median of " + duration_text(median(times)) + " (" +
            counted(static_cast<std::int64_t>(times.size()), "initiative") + ")";
  }
  if (others_left_out) text += "\n_How quickly each person endorsed is shown to admins._";
  return say(text + lines + newer);
}

}  // namespace
}  // namespace ff::commands::initiative

namespace ff::commands {

using namespace initiative;

void register_initiative(EnvelopeRouter::Routes routes, const InitiativeServices& services) {
  routes.command("/initiative", [services](const SlashCommand& command) {
    const std::string text = trimmed(command.text);
    const std::string word = lower(text.substr(0, text.find(' ')));
    const std::string rest =
        text.find(' ') == std::string::npos ? "" : text.substr(text.find(' ') + 1);
    if (text.empty() || word == "help") {
      return say(
          "*`/initiative <title> | <description>`* proposes an improvement you will lead: you "
          "see a preview first, then I post a card with buttons to endorse, follow or give "
          "non-blocking feedback.\n"
          "*Endorse* backs it, so it can go ahead; *Follow* keeps you posted without backing "
          "it yet.\n"
          "*`/initiative list`* the open ones in this channel\n"
          "*`/initiative stats`* how quickly initiatives here found support\n"
          "*`/initiative leads @a @b`* (admins) who is nudged about every initiative here\n"
          "*`/initiative edit <number>`* changes the title or description of yours\n"
          "*`/initiative done <number>`*, *`/initiative drop <number>`* close one (who leads "
          "it, or an admin); its backers hear of it\n"
          "*`/initiative unfollow <number>`* stops following one\n"
          "*`/endorse <number>`* endorses one");
    }
    if (word == "list") return list(services, command.channel_id);
    if (word == "stats") return stats(services, command.channel_id, command.user_id);
    if (word == "leads") return leads(services, command, rest);
    if (word == "edit") return open_edit(services, command, rest);
    if (word == "unfollow") return unfollow(services, command.user_id, rest, command.channel_id);
    if (word == "done" || word == "drop") {
      return close(services, command, rest, word == "done" ? "done" : "dropped");
    }
    return propose(services, command, text);
  });
  routes.command("/endorse", [services](const SlashCommand& command) {
    return back(services, command.user_id, command.text, command.channel_id, "endorse");
  });
  // A card's buttons are pressed on the card, in its channel: a value that
  // names an initiative of another channel (a forged press) finds nothing.
  routes.action(kEndorseAction, [services](const BlockAction& action) {
    return back(services, action.user_id, action.value, card_channel(action), "endorse");
  });
  routes.action(kFollowAction, [services](const BlockAction& action) {
    return back(services, action.user_id, action.value, card_channel(action), "follow");
  });
  routes.action(kUnfollowAction, [services](const BlockAction& action) {
    Reply reply = unfollow(services, action.user_id, action.value, card_channel(action));
    if (reply.message) reply.message->replace_original = true;
    return reply;
  });
  // Done and Drop on the owner's App Home: any channel's, so the press is
  // checked against who leads it, as the command is.
  for (const auto& [action_id, status] :
       {std::pair{kDoneAction, "done"}, std::pair{kDropAction, "dropped"}}) {
    routes.action(action_id, [services, status = std::string(status)](const BlockAction& action) {
      const auto found = find(services, action.value, {}, "That button looks altered");
      if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
      return close_initiative(services, action.user_id, std::get<store::Initiative>(found), status);
    });
  }
  register_nudge_buttons(routes, services);
  register_draft_buttons(routes, services);

  routes.action(kInitiativeFeedbackAction, [services](const BlockAction& action) {
    const auto found =
        find(services, action.value, card_channel(action), "Type `/nit @someone <feedback>`");
    if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
    const auto& initiative = std::get<store::Initiative>(found);
    if (initiative.owner_id == action.user_id) return say("That's your own initiative.");
    return form_opened(open_nit_modal(services.feedback_services(), action.trigger_id,
                                      initiative.owner_id, initiative.channel_id,
                                      initiative.title));
  });
}

}  // namespace ff::commands
