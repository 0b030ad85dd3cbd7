#include "commands/people.hpp"

#include <algorithm>

#include "bot/slack/mrkdwn.hpp"

namespace ff::commands {

std::string why_slack_failed(const ApiResult& result) {
  const std::string& error = result.error;
  const std::string code = "(" + mrkdwn::escape(error) + ")";
  if (error == "not_in_channel" || error == "channel_not_found") {
    return "I'm not in this channel " + code +
           ". Add me with `/invite @firstfollower`, then try "
           "again.";
  }
  if (error == "is_archived") return "This channel is archived " + code + ".";
  if (error == "ratelimited") {
    return "Slack asked me to slow down " + code + ". Try again in a minute.";
  }
  if (!result.nothing_done) {
    return "Slack did not confirm it " + code +
           ", but it may have happened: look before you try again.";
  }
  if (error.rfind("transport_error", 0) == 0 || error.rfind("http_", 0) == 0) {
    return "I can't reach Slack right now " + code + ". Try again in a minute.";
  }
  return "Slack refused it " + code + ".";
}

PersonZone time_zone_of(const Services& services, store::ProfileStore& profiles,
                        const std::string& user, const std::string& fallback) {
  constexpr auto kFreshFor = std::chrono::hours{24 * 7};
  std::optional<store::UserProfile> cached;
  try {
    cached = profiles.profile(user);
  } catch (const store::StoreError&) {
    // Without the cache, Slack is asked.
  }
  if (cached && services.clock.now() - cached->fetched_at < kFreshFor && !cached->time_zone.empty())
    return {cached->time_zone, true};
  const UserLookup who = services.slack.look_up_user(user);
  if (!who.user || who.user->time_zone.empty()) {
    if (cached && !cached->time_zone.empty()) return {cached->time_zone, true};
    return {fallback, false};
  }
  const SlackUser& person = *who.user;
  try {
    profiles.put_profile(
        {user, person.time_zone, person.tz_offset, person.name, services.clock.now()});
  } catch (const store::StoreError&) {
    // The zone is used now all the same; the cache is filled next time.
  }
  return {person.time_zone, true};
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

std::optional<Mention> leading_mention(std::string_view text) {
  const std::string t = trimmed(text);
  if (t.rfind("<@", 0) != 0) return std::nullopt;
  const auto close = t.find('>');
  if (close == std::string::npos) return std::nullopt;
  std::string id = t.substr(2, close - 2);
  if (const auto bar = id.find('|'); bar != std::string::npos) id.resize(bar);
  if (!mrkdwn::is_user_id(id)) return std::nullopt;
  return Mention{id, trimmed(std::string_view(t).substr(close + 1))};
}

Mentions leading_mentions(std::string_view text, std::size_t limit) {
  Mentions named;
  named.rest = trimmed(text);
  while (const auto mention = leading_mention(named.rest)) {
    named.rest = mention->rest;
    if (std::find(named.user_ids.begin(), named.user_ids.end(), mention->user_id) !=
        named.user_ids.end()) {
      continue;
    }
    if (named.user_ids.size() == limit) {
      named.too_many = true;
      continue;
    }
    named.user_ids.push_back(mention->user_id);
  }
  return named;
}

std::optional<std::string> why_not_reachable(const Services& services, const std::string& user_id,
                                             const std::string& sender_id) {
  if (user_id == sender_id) return std::string("That's you.");
  if (!services.roles.bot_user_id.empty() && user_id == services.roles.bot_user_id) {
    return std::string("That's me, and I only hand out questions.");
  }
  const UserLookup who = services.slack.look_up_user(user_id);
  if (!who.user) {
    if (who.result.error == "user_not_found") {
      return std::string("I can't find that person in this workspace.");
    }
    return std::string("I can't reach Slack to look that person up right now (" + who.result.error +
                       "). Please try again in a minute.");
  }
  if (who.user->deleted) return std::string("That account is deactivated.");
  if (who.user->is_bot) return std::string("That's a bot, not a person.");
  return std::nullopt;
}

std::string quoted(std::string_view text, std::size_t max_chars) {
  std::string out = "> ";
  for (char c : mrkdwn::escape_keeping_mentions(mrkdwn::truncate(text, max_chars))) {
    out += c;
    if (c == '\n') out += "> ";
  }
  return out;
}

}  // namespace ff::commands
