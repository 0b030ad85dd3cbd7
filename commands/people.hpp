#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/services.hpp"
#include "bot/store/stores.hpp"

namespace ff::commands {

// A person named at the start of a command's text. Slack sends mentions in
// our commands escaped, as <@U123|name> (the manifest sets should_escape).
struct Mention {
  std::string user_id;
  std::string rest;  // the text after the mention, trimmed
};
std::optional<Mention> leading_mention(std::string_view text);

// The most people one command may name: each costs a Slack call to check.
inline constexpr std::size_t kMentionLimit = 50;

// The people named at the start of a command's text ("@a @b the rest"),
// each once, in order. `too_many` when more than `limit` were named; then
// `user_ids` holds the first `limit`.
struct Mentions {
  std::vector<std::string> user_ids;
  std::string rest;  // the text after the last mention, trimmed
  bool too_many = false;
};
Mentions leading_mentions(std::string_view text, std::size_t limit);

// The most people /coach and /nit reach with one command: a question or a
// nit meant for a whole team belongs in the channel.
inline constexpr std::size_t kPeopleAtOnce = 10;

// Whether a message can be sent to this person on someone's behalf: they
// exist, are not deactivated, are not a bot (this one included), and are
// not the sender. A friendly sentence saying why not, or nullopt.
std::optional<std::string> why_not_reachable(const Services& services, const std::string& user_id,
                                             const std::string& sender_id);

// Why a Slack call failed, said to the person who asked, ending with what
// to do: not in the channel, rate limited, Slack unreachable, or (when
// Slack may have acted) a hint to look before trying again.
std::string why_slack_failed(const ApiResult& result);

// A person's time zone: from the profile cache while it is fresh (a week),
// else from Slack's users.info (and cached), else `fallback`, which
// `from_slack` says.
struct PersonZone {
  std::string zone;
  bool from_slack = true;
};
PersonZone time_zone_of(const Services& services, store::ProfileStore& profiles,
                        const std::string& user, const std::string& fallback = "UTC");

// Text with surrounding blanks removed.
std::string trimmed(std::string_view text);

// The person's text as a mrkdwn quote, cut to `max_chars` and escaped, keeping
// the mentions Slack put in it (mrkdwn::escape_keeping_mentions).
std::string quoted(std::string_view text, std::size_t max_chars);

}  // namespace ff::commands
