#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bot/slack/blocks.hpp"

namespace ff {

// The outcome of one Web API call. Slack's own errors ("ok": false) keep their
// code, transport failures get one of ours ("transport_error", "http_503", …),
// so callers can tell a user's mistake from an outage.
struct ApiResult {
  bool ok = false;
  std::string error;
  nlohmann::json body = nlohmann::json::object();
  // A failure after which Slack has certainly done nothing: the request
  // never reached it, it was rate limited, or Slack refused it with an error
  // (other than internal_error and fatal_error, after which some of it may
  // have happened). Only then may a visible call be made again.
  bool nothing_done = false;

  static ApiResult success(nlohmann::json body = nlohmann::json::object()) {
    return {true, {}, std::move(body)};
  }
  static ApiResult failure(std::string error, bool nothing_done = false) {
    return {false, std::move(error), {}, nothing_done};
  }
  // Slack's answer {"ok":false,"error":…}.
  static ApiResult refused(std::string error, nlohmann::json body = nlohmann::json::object()) {
    const bool maybe_partly_done = error == "internal_error" || error == "fatal_error";
    return {false, std::move(error), std::move(body), !maybe_partly_done};
  }
};

// A person as users.info describes them, read once from the answer.
struct SlackUser {
  std::string id;
  std::string name;
  std::string time_zone;  // tz, an IANA name; empty when Slack gives none
  int tz_offset = 0;      // seconds east of UTC, now
  bool deleted = false;
  bool is_bot = false;

  // The answer's "user" object; nullopt when it has no id.
  static std::optional<SlackUser> from_json(const nlohmann::json& user);
};

// users.info's outcome: the person, or why not (result.error is
// user_not_found for nobody, else Slack could not be asked).
struct UserLookup {
  ApiResult result;
  std::optional<SlackUser> user;
};

// What handlers may ask of Slack. Slack mode implements it with the Web API,
// console mode by printing to the terminal; handlers cannot tell which.
class SlackApi {
 public:
  virtual ~SlackApi() = default;
  // chat.postMessage; a user id as channel posts in the bot's DM with them.
  virtual ApiResult post_message(std::string_view channel, const Message& message) = 0;
  // chat.postEphemeral: visible only to user, in channel.
  virtual ApiResult post_ephemeral(std::string_view channel, std::string_view user,
                                   const Message& message) = 0;
  // A post to a slash command's or a button's response_url.
  virtual ApiResult respond(std::string_view response_url, const Message& message) = 0;
  // chat.update: replaces the message at `ts` in `channel` (a card kept
  // current in place rather than reposted).
  virtual ApiResult update_message(std::string_view channel, std::string_view ts,
                                   const Message& message) = 0;
  // users.info: the answer's "user" object (id, name, tz, is_bot, deleted),
  // or the error user_not_found.
  virtual ApiResult user_info(std::string_view user_id) = 0;
  // views.open with a trigger_id from a command, a button or a shortcut.
  virtual ApiResult open_view(std::string_view trigger_id, const nlohmann::json& view) = 0;
  // views.publish: `view` (type "home") becomes the person's App Home.
  virtual ApiResult publish_home(std::string_view user_id, const nlohmann::json& view) = 0;
  // dnd.info: a person's Do Not Disturb hours and snooze (needs dnd:read).
  virtual ApiResult do_not_disturb(std::string_view user_id) = 0;

  // users.info, typed: what handlers use.
  UserLookup look_up_user(std::string_view user_id);
  // When the person's Do Not Disturb (hours or snooze) that holds at `now`
  // ends; nullopt when none holds, or Slack would not say (no dnd:read).
  std::optional<std::chrono::system_clock::time_point> do_not_disturb_until(
      std::string_view user_id, std::chrono::system_clock::time_point now);

 private:
  // Set once Slack says the app lacks dnd:read: not asked again.
  std::atomic<bool> do_not_disturb_unavailable_{false};
};

}  // namespace ff
