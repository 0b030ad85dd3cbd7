#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

// The typed requests Slack delivers over Socket Mode, parsed and validated
// once at the edge. Nothing past this file walks Slack's raw JSON.
namespace ff {

struct SlashCommand {
  std::string team_id;
  std::string channel_id;
  std::string channel_name;
  std::string user_id;
  std::string user_name;
  std::string command;  // "/coach"
  std::string text;
  std::string response_url;
  std::string trigger_id;
  std::string api_app_id;
};

// One press in a block_actions payload (Slack sends one action per press).
struct BlockAction {
  std::string team_id;
  std::string user_id;
  std::string channel_id;  // empty on App Home and in modals
  std::string action_id;
  std::string block_id;
  std::string value;
  std::string response_url;
  std::string trigger_id;
  std::string message_ts;
  std::string container_type;  // "message", "view", "message_attachment"
};

// What a person entered in a form: view.state.values, one field per input
// (block_id, action_id), read once here so no handler walks the JSON.
struct FormField {
  std::string type;                           // plain_text_input, users_select, checkboxes…
  std::string text;                           // plain_text_input's value
  std::string selected_user;                  // users_select
  std::string selected_conversation;          // conversations_select
  std::vector<std::string> selected_options;  // checkboxes: the chosen options' values
};

class FormValues {
 public:
  // Slack's state.values object. Inputs of an unexpected shape are left
  // out (a handler then sees an empty field), never a crash.
  static FormValues from_json(const nlohmann::json& values);

  const FormField* field(std::string_view block_id, std::string_view action_id) const;
  std::string text(std::string_view block_id, std::string_view action_id) const;
  std::string selected_user(std::string_view block_id, std::string_view action_id) const;
  std::string selected_conversation(std::string_view block_id, std::string_view action_id) const;
  bool any_selected(std::string_view block_id, std::string_view action_id) const;

 private:
  std::map<std::pair<std::string, std::string>, FormField, std::less<>> fields_;
};

struct ViewSubmission {
  bool closed = false;  // view_closed rather than view_submission
  std::string team_id;
  std::string user_id;
  std::string view_id;
  std::string callback_id;
  std::string private_metadata;
  FormValues form;
};

// Global shortcuts ("shortcut") and message shortcuts ("message_action").
struct Shortcut {
  bool on_message = false;
  std::string team_id;
  std::string user_id;
  std::string callback_id;
  std::string trigger_id;
  std::string channel_id;
  std::string response_url;
  std::string message_ts;
  std::string message_user;
  std::string message_text;
};

struct Event {
  std::string event_id;  // identifies the event across Slack's retries
  std::string team_id;
  std::string type;  // "message", "app_home_opened", "app_mention", …
  std::string user;
  std::string channel;
  std::string channel_type;  // "im" for a direct message
  std::string text;
  std::string tab;
  std::string bot_id;
  std::string subtype;
  std::string ts;
  std::string thread_ts;
};

using Request = std::variant<SlashCommand, BlockAction, ViewSubmission, Shortcut, Event>;

struct Envelope {
  std::string envelope_id;
  std::string type;  // events_api, slash_commands, interactive
  bool accepts_response_payload = false;
  int retry_attempt = 0;
  std::string retry_reason;
  Request request;
  // The frame as it arrived, written to the inbox so the envelope can be
  // handled again after a crash; empty when it was made up (console mode).
  std::string frame;
};

struct Hello {
  int num_connections = 0;
  std::string app_id;
  long approximate_connection_time_s = 0;
};

struct Disconnect {
  std::string reason;  // warning, refresh_requested, link_disabled, too_many_websockets
};

// A frame that could not be trusted. When its envelope_id could be read the
// envelope is still acked, so Slack does not redeliver a frame we will never
// be able to handle.
struct MalformedFrame {
  std::string reason;
  std::string envelope_id;
  bool forged_id = false;  // well-formed, but carrying an id Slack never makes
};

using Frame = std::variant<Hello, Disconnect, Envelope, MalformedFrame>;

// Parses one Socket Mode text frame. Never throws.
Frame parse_frame(std::string_view text);

// Parses an envelope's payload given its type, ids checked as check_ids
// does; used by parse_frame. Throws std::invalid_argument with a reason on
// bad input (ForgedId for a bad id).
Request parse_request(std::string_view envelope_type, const nlohmann::json& payload);

// Slack's ids are a letter for their kind (users U, W or B; channels C, G
// or D; teams T or E) and 2 to 20 upper-case letters or digits. Handlers and
// the store key on them and put them into mentions, so nothing else may pass.
enum class SlackIdKind { kUser, kChannel, kTeam };
bool is_slack_id(std::string_view id, SlackIdKind kind);

// A request naming a user, channel or team by an id Slack would never send.
class ForgedId : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Checks every user, channel and team id a request carries (an optional
// one may be empty); throws ForgedId naming the first bad one, cut short
// and with anything but letters and digits masked, so it is safe to log.
// Console mode checks the requests it makes up with it too.
void check_ids(const Request& request);

// A short name for logs and counters: "/coach", "action:coach_another", …
std::string describe(const Request& request);

// Who sent the request, as "team:user"; empty when nobody did (an event
// about the workspace). One person's requests are handled in order.
std::string person_of(const Request& request);
// Only the user id of it, for logs.
std::string user_of(const Request& request);

}  // namespace ff
