#include "commands/initiative.hpp"

#include <functional>
#include <variant>

#include <spdlog/spdlog.h>

#include "bot/mrkdwn.hpp"
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
  return say(":seedling: Posted initiative #" + std::to_string(initiative.id) +
             ". The first person to endorse it becomes its first follower.");
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

Reply guarded(const std::function<Reply()>& work) {
  try {
    return work();
  } catch (const store::StoreError& error) {
    spdlog::warn("initiative: {}", error.what());
    return say(kDatabaseAway);
  }
}

}  // namespace

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
            "*`/initiative done <number>`*, *`/initiative drop <number>`* close one (who leads "
            "it, or an admin)\n"
            "*`/endorse <number>`* endorses one");
      }
      if (word == "list") return list(services, command.channel_id);
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
