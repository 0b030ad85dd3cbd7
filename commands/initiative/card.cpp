// An initiative's card in its channel, and finding the initiative a command names.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/initiative/parts.hpp"
#include "commands/people.hpp"

namespace ff::commands::initiative {

const char* const kDatabaseAway =
    ":warning: I can't reach my database right now, so nothing changed. Please try again in a "
    "minute.";

Reply say(const std::string& text) {
  return Reply::with(Message::plain(text));
}

std::string people_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!mrkdwn::is_user_id(id)) continue;
    out += (out.empty() ? "" : ", ") + mrkdwn::mention(id);
  }
  return out;
}

Message card(const store::Initiative& i, const std::vector<store::Endorsement>& backers) {
  std::vector<std::string> endorsers, followers;
  for (const auto& e : backers) (e.kind == "endorse" ? endorsers : followers).push_back(e.user_id);
  Message m;
  m.text = "Initiative #" + std::to_string(i.id) + ": " + mrkdwn::escape_keeping_mentions(i.title);
  m.add(blocks::section(
      ":seedling: *Initiative #" + std::to_string(i.id) + ": " +
      mrkdwn::escape_keeping_mentions(i.title) + "*\nLed by " + mrkdwn::mention(i.owner_id) +
      (i.description.empty() ? "" : "\n" + quoted(i.description, kDescriptionLimit))));
  std::vector<std::string> context;
  context.push_back(i.status == "open"    ? "Open"
                    : i.status == "done"  ? ":white_check_mark: Done"
                    : i.status == "draft" ? "Not posted yet"
                                          : "Dropped");
  const auto first = std::find_if(backers.begin(), backers.end(),
                                  [](const store::Endorsement& e) { return e.first_follower; });
  if (first != backers.end()) {
    context.push_back(":raised_hands: First follower: " + mrkdwn::mention(first->user_id));
  }
  if (!endorsers.empty()) {
    context.push_back("Endorsed by " + people_list(endorsers));
  } else if (i.status == "open") {
    context.push_back("No endorsement yet: the first follower turns an idea into a movement.");
  }
  if (!followers.empty()) context.push_back("Following: " + people_list(followers));
  m.add(blocks::context(context));
  if (i.status == "open" || i.status == "draft") {
    m.add(
        blocks::context({"*Endorse*: you back it, so it can go ahead. *Follow*: you want to "
                         "hear how it goes, without backing it yet."}));
  }
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

void refresh_card(const InitiativeServices& services, std::int64_t id) {
  const auto initiative = services.initiatives.initiative(id);
  if (!initiative) return;
  // Its owner's App Home lists it with its backers.
  services.home.changed(initiative->owner_id);
  if (initiative->message_ts.empty()) return;
  const ApiResult updated =
      services.slack.update_message(initiative->channel_id, initiative->message_ts,
                                    card(*initiative, services.initiatives.endorsements(id)));
  if (!updated.ok) spdlog::warn("card of initiative {} not updated: {}", id, updated.error);
}

static std::optional<std::int64_t> parse_id(std::string text) {
  text = trimmed(text);
  if (!text.empty() && text.front() == '#') text.erase(0, 1);
  if (text.empty() || text.size() > 15 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(text);
}

std::variant<store::Initiative, std::string> find(const InitiativeServices& services,
                                                  const std::string& text,
                                                  const std::string& channel,
                                                  const std::string& usage, bool drafts_too) {
  const auto id = parse_id(text);
  if (!id) return "Which initiative? " + usage + " (`/initiative list` shows their numbers).";
  auto initiative = services.initiatives.initiative(*id);
  // A draft is its author's preview: to anyone else it does not exist yet.
  if (!initiative || (!channel.empty() && initiative->channel_id != channel) ||
      (initiative->status == "draft" && !drafts_too)) {
    return "There is no initiative #" + std::to_string(*id) +
           " in this channel. `/initiative list` shows the open ones here.";
  }
  return *initiative;
}

}  // namespace ff::commands::initiative
