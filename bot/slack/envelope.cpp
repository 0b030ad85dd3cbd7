#include "bot/slack/envelope.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "bot/slack/mrkdwn.hpp"

namespace ff {
namespace {

using nlohmann::json;

// Slack sends at most a few kilobytes per field; anything beyond this is not
// Slack and is refused rather than carried through the bot.
constexpr std::size_t kMaxFieldBytes = 64 * 1024;

std::string optional_string(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  const auto& value = it->get_ref<const std::string&>();
  if (value.size() > kMaxFieldBytes) {
    throw std::invalid_argument(std::string("field too long: ") + key);
  }
  return value;
}

std::string required_string(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    throw std::invalid_argument(std::string("missing or empty field: ") + key);
  }
  return optional_string(object, key);
}

const json& required_object(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_object()) {
    throw std::invalid_argument(std::string("missing object: ") + key);
  }
  return *it;
}

// Interactive payloads carry ids as {"id": …} objects.
std::string nested_id(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return {};
  return optional_string(*it, "id");
}

SlashCommand parse_slash_command(const json& p) {
  SlashCommand c;
  c.command = required_string(p, "command");
  if (c.command.front() != '/') throw std::invalid_argument("command does not start with /");
  c.user_id = required_string(p, "user_id");
  c.channel_id = required_string(p, "channel_id");
  c.team_id = optional_string(p, "team_id");
  c.channel_name = optional_string(p, "channel_name");
  c.user_name = optional_string(p, "user_name");
  c.text = optional_string(p, "text");
  c.response_url = optional_string(p, "response_url");
  c.trigger_id = optional_string(p, "trigger_id");
  c.api_app_id = optional_string(p, "api_app_id");
  return c;
}

BlockAction parse_block_action(const json& p) {
  BlockAction a;
  a.user_id = nested_id(p, "user");
  if (a.user_id.empty()) throw std::invalid_argument("block_actions without user.id");
  a.team_id = nested_id(p, "team");
  a.channel_id = nested_id(p, "channel");
  a.response_url = optional_string(p, "response_url");
  a.trigger_id = optional_string(p, "trigger_id");
  const auto actions = p.find("actions");
  if (actions == p.end() || !actions->is_array() || actions->empty() ||
      !actions->front().is_object()) {
    throw std::invalid_argument("block_actions without actions");
  }
  const json& action = actions->front();
  a.action_id = required_string(action, "action_id");
  a.block_id = optional_string(action, "block_id");
  a.value = optional_string(action, "value");
  if (const auto container = p.find("container"); container != p.end() && container->is_object()) {
    a.container_type = optional_string(*container, "type");
    a.message_ts = optional_string(*container, "message_ts");
  }
  return a;
}

ViewSubmission parse_view(const json& p, bool closed) {
  ViewSubmission v;
  v.closed = closed;
  v.user_id = nested_id(p, "user");
  if (v.user_id.empty()) throw std::invalid_argument("view payload without user.id");
  v.team_id = nested_id(p, "team");
  const json& view = required_object(p, "view");
  v.view_id = optional_string(view, "id");
  v.callback_id = optional_string(view, "callback_id");
  v.private_metadata = optional_string(view, "private_metadata");
  if (const auto state = view.find("state"); state != view.end() && state->is_object()) {
    if (const auto values = state->find("values"); values != state->end() && values->is_object()) {
      v.form = FormValues::from_json(*values);
    }
  }
  return v;
}

Shortcut parse_shortcut(const json& p, bool on_message) {
  Shortcut s;
  s.on_message = on_message;
  s.user_id = nested_id(p, "user");
  if (s.user_id.empty()) throw std::invalid_argument("shortcut without user.id");
  s.team_id = nested_id(p, "team");
  s.callback_id = required_string(p, "callback_id");
  s.trigger_id = optional_string(p, "trigger_id");
  s.channel_id = nested_id(p, "channel");
  s.response_url = optional_string(p, "response_url");
  if (const auto message = p.find("message"); message != p.end() && message->is_object()) {
    s.message_ts = optional_string(*message, "ts");
    s.message_user = optional_string(*message, "user");
    s.message_text = optional_string(*message, "text");
  }
  return s;
}

Event parse_event(const json& p) {
  const std::string outer_type = optional_string(p, "type");
  if (outer_type != "event_callback") {
    throw std::invalid_argument("events_api payload of type '" + outer_type + "'");
  }
  Event e;
  e.event_id = required_string(p, "event_id");
  e.team_id = optional_string(p, "team_id");
  const json& event = required_object(p, "event");
  e.type = required_string(event, "type");
  e.user = optional_string(event, "user");
  e.channel = optional_string(event, "channel");
  e.channel_type = optional_string(event, "channel_type");
  e.text = optional_string(event, "text");
  e.tab = optional_string(event, "tab");
  e.bot_id = optional_string(event, "bot_id");
  e.subtype = optional_string(event, "subtype");
  e.ts = optional_string(event, "ts");
  e.thread_ts = optional_string(event, "thread_ts");
  return e;
}

Request parse_typed(std::string_view envelope_type, const json& payload) {
  if (!payload.is_object()) throw std::invalid_argument("payload is not an object");
  if (envelope_type == "slash_commands") return parse_slash_command(payload);
  if (envelope_type == "events_api") return parse_event(payload);
  if (envelope_type == "interactive") {
    const std::string type = optional_string(payload, "type");
    if (type == "block_actions") return parse_block_action(payload);
    if (type == "view_submission") return parse_view(payload, false);
    if (type == "view_closed") return parse_view(payload, true);
    if (type == "shortcut") return parse_shortcut(payload, false);
    if (type == "message_action") return parse_shortcut(payload, true);
    throw std::invalid_argument("unsupported interactive type '" + type + "'");
  }
  throw std::invalid_argument("unsupported envelope type '" + std::string(envelope_type) + "'");
}

// A bad id as it may appear in a log line: at most 24 characters, and
// nothing but letters and digits (a forged id may carry anything).
std::string loggable_id(std::string_view id) {
  constexpr std::size_t kShown = 24;
  std::string shown;
  for (const char c : id.substr(0, kShown)) {
    shown += std::isalnum(static_cast<unsigned char>(c)) ? c : '?';
  }
  if (id.size() > kShown) shown += "...";
  return shown;
}

void check_id(const std::string& id, SlackIdKind kind, const char* field, bool required = false) {
  if (id.empty() && !required) return;
  if (!is_slack_id(id, kind)) {
    throw ForgedId(std::string("not a Slack id in ") + field + ": '" + loggable_id(id) + "'");
  }
}

}  // namespace

bool is_slack_id(std::string_view id, SlackIdKind kind) {
  constexpr std::size_t kMinAfterPrefix = 2;
  constexpr std::size_t kMaxAfterPrefix = 20;
  if (id.size() < 1 + kMinAfterPrefix || id.size() > 1 + kMaxAfterPrefix) return false;
  std::string_view prefixes;
  switch (kind) {
    case SlackIdKind::kUser:
      prefixes = "UWB";
      break;
    case SlackIdKind::kChannel:
      prefixes = "CGD";
      break;
    case SlackIdKind::kTeam:
      prefixes = "TE";
      break;
  }
  return mrkdwn::has_id_shape(id, prefixes);
}

void check_ids(const Request& request) {
  struct Check {
    void operator()(const SlashCommand& c) const {
      check_id(c.user_id, SlackIdKind::kUser, "user_id", true);
      check_id(c.channel_id, SlackIdKind::kChannel, "channel_id", true);
      check_id(c.team_id, SlackIdKind::kTeam, "team_id");
    }
    void operator()(const BlockAction& a) const {
      check_id(a.user_id, SlackIdKind::kUser, "user.id", true);
      check_id(a.channel_id, SlackIdKind::kChannel, "channel.id");
      check_id(a.team_id, SlackIdKind::kTeam, "team.id");
    }
    void operator()(const ViewSubmission& v) const {
      check_id(v.user_id, SlackIdKind::kUser, "user.id", true);
      check_id(v.team_id, SlackIdKind::kTeam, "team.id");
    }
    void operator()(const Shortcut& s) const {
      check_id(s.user_id, SlackIdKind::kUser, "user.id", true);
      check_id(s.channel_id, SlackIdKind::kChannel, "channel.id");
      check_id(s.team_id, SlackIdKind::kTeam, "team.id");
      check_id(s.message_user, SlackIdKind::kUser, "message.user");
    }
    void operator()(const Event& e) const {
      check_id(e.user, SlackIdKind::kUser, "event.user");
      check_id(e.channel, SlackIdKind::kChannel, "event.channel");
      check_id(e.team_id, SlackIdKind::kTeam, "team_id");
    }
  };
  std::visit(Check{}, request);
}

Request parse_request(std::string_view envelope_type, const json& payload) {
  Request request = parse_typed(envelope_type, payload);
  check_ids(request);
  return request;
}

namespace {

// Slack's frames nest a dozen levels at most. Deeper documents are refused
// before parsing, so hostile nesting cannot exhaust the stack of whatever
// walks the tree later.
constexpr int kMaxFrameDepth = 64;

// How deep arrays and objects nest in `text`, outside strings; stops
// counting past `limit`.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size() && deepest <= limit; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// The envelope id of a frame that does not parse (a lone surrogate, say),
// so it can still be acked and Slack stops redelivering it. Envelope ids
// are plain ASCII; anything else is not taken.
std::string envelope_id_of_unparsed(std::string_view text) {
  constexpr std::string_view kKey = "\"envelope_id\"";
  const auto key = text.find(kKey);
  if (key == std::string_view::npos) return {};
  auto at = text.find_first_not_of(" \t\r\n", key + kKey.size());
  if (at == std::string_view::npos || text[at] != ':') return {};
  at = text.find_first_not_of(" \t\r\n", at + 1);
  if (at == std::string_view::npos || text[at] != '"') return {};
  const auto end = text.find('"', at + 1);
  if (end == std::string_view::npos || end - at - 1 > 128) return {};
  const std::string_view id = text.substr(at + 1, end - at - 1);
  const bool plain = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  return plain ? std::string(id) : std::string();
}

}  // namespace

Frame parse_frame(std::string_view text) {
  if (nesting_depth(text, kMaxFrameDepth) > kMaxFrameDepth) {
    return MalformedFrame{"JSON nested deeper than " + std::to_string(kMaxFrameDepth) + " levels",
                          envelope_id_of_unparsed(text)};
  }
  json frame = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (frame.is_discarded()) return MalformedFrame{"invalid JSON", envelope_id_of_unparsed(text)};
  if (!frame.is_object()) return MalformedFrame{"frame is not a JSON object", {}};

  std::string envelope_id;
  try {
    envelope_id = optional_string(frame, "envelope_id");
    const std::string type = optional_string(frame, "type");
    if (type == "hello") {
      Hello h;
      if (const auto n = frame.find("num_connections");
          n != frame.end() && n->is_number_integer()) {
        h.num_connections = n->get<int>();
      }
      if (const auto info = frame.find("connection_info");
          info != frame.end() && info->is_object()) {
        h.app_id = optional_string(*info, "app_id");
      }
      if (const auto debug = frame.find("debug_info"); debug != frame.end() && debug->is_object()) {
        const auto t = debug->find("approximate_connection_time");
        if (t != debug->end() && t->is_number_integer())
          h.approximate_connection_time_s = t->get<long>();
      }
      return h;
    }
    if (type == "disconnect") return Disconnect{optional_string(frame, "reason")};
    if (envelope_id.empty())
      return MalformedFrame{"frame of type '" + type + "' without envelope_id", {}};

    Envelope e;
    e.envelope_id = envelope_id;
    e.type = type;
    if (const auto a = frame.find("accepts_response_payload");
        a != frame.end() && a->is_boolean()) {
      e.accepts_response_payload = a->get<bool>();
    }
    if (const auto r = frame.find("retry_attempt"); r != frame.end() && r->is_number_integer()) {
      e.retry_attempt = r->get<int>();
    }
    e.retry_reason = optional_string(frame, "retry_reason");
    const auto payload = frame.find("payload");
    if (payload == frame.end()) return MalformedFrame{"envelope without payload", envelope_id};
    e.request = parse_request(type, *payload);
    e.frame = std::string(text);
    return e;
  } catch (const ForgedId& error) {
    return MalformedFrame{error.what(), envelope_id, true};
  } catch (const std::exception& error) {
    return MalformedFrame{error.what(), envelope_id};
  }
}

std::string describe(const Request& request) {
  struct Describe {
    std::string operator()(const SlashCommand& c) const { return c.command; }
    std::string operator()(const BlockAction& a) const { return "action:" + a.action_id; }
    std::string operator()(const ViewSubmission& v) const {
      return (v.closed ? "view_closed:" : "view:") + v.callback_id;
    }
    std::string operator()(const Shortcut& s) const { return "shortcut:" + s.callback_id; }
    std::string operator()(const Event& e) const { return "event:" + e.type; }
  };
  return std::visit(Describe{}, request);
}

namespace {

// The team and user of a request; empty when nobody sent it.
std::pair<const std::string&, const std::string&> sender_of(const Request& request) {
  struct Person {
    std::pair<const std::string&, const std::string&> operator()(const SlashCommand& c) const {
      return {c.team_id, c.user_id};
    }
    std::pair<const std::string&, const std::string&> operator()(const BlockAction& a) const {
      return {a.team_id, a.user_id};
    }
    std::pair<const std::string&, const std::string&> operator()(const ViewSubmission& v) const {
      return {v.team_id, v.user_id};
    }
    std::pair<const std::string&, const std::string&> operator()(const Shortcut& s) const {
      return {s.team_id, s.user_id};
    }
    std::pair<const std::string&, const std::string&> operator()(const Event& e) const {
      return {e.team_id, e.user};
    }
  };
  return std::visit(Person{}, request);
}

}  // namespace

std::string person_of(const Request& request) {
  const auto [team, user] = sender_of(request);
  return user.empty() ? std::string() : team + ":" + user;
}

std::string user_of(const Request& request) {
  return sender_of(request).second;
}

FormValues FormValues::from_json(const nlohmann::json& values) {
  FormValues form;
  if (!values.is_object()) return form;
  for (const auto& [block_id, actions] : values.items()) {
    if (!actions.is_object()) continue;
    for (const auto& [action_id, input] : actions.items()) {
      if (!input.is_object()) continue;
      FormField field;
      field.type = input.value("type", "");
      if (const auto v = input.find("value"); v != input.end() && v->is_string()) {
        field.text = v->get<std::string>();
      }
      if (const auto u = input.find("selected_user"); u != input.end() && u->is_string()) {
        field.selected_user = u->get<std::string>();
      }
      if (const auto c = input.find("selected_conversation"); c != input.end() && c->is_string()) {
        field.selected_conversation = c->get<std::string>();
      }
      if (const auto o = input.find("selected_options"); o != input.end() && o->is_array()) {
        for (const auto& option : *o) {
          if (option.is_object() && option.contains("value") && option["value"].is_string()) {
            field.selected_options.push_back(option["value"].get<std::string>());
          }
        }
      }
      form.fields_[{block_id, action_id}] = std::move(field);
    }
  }
  return form;
}

const FormField* FormValues::field(std::string_view block_id, std::string_view action_id) const {
  const auto it = fields_.find(std::pair{std::string(block_id), std::string(action_id)});
  return it == fields_.end() ? nullptr : &it->second;
}

std::string FormValues::text(std::string_view block_id, std::string_view action_id) const {
  const FormField* f = field(block_id, action_id);
  return f ? f->text : std::string();
}

std::string FormValues::selected_user(std::string_view block_id, std::string_view action_id) const {
  const FormField* f = field(block_id, action_id);
  return f ? f->selected_user : std::string();
}

std::string FormValues::selected_conversation(std::string_view block_id,
                                              std::string_view action_id) const {
  const FormField* f = field(block_id, action_id);
  return f ? f->selected_conversation : std::string();
}

bool FormValues::any_selected(std::string_view block_id, std::string_view action_id) const {
  const FormField* f = field(block_id, action_id);
  return f != nullptr && !f->selected_options.empty();
}

}  // namespace ff
