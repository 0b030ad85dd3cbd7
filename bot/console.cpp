#include "console.hpp"

#include <istream>
#include <ostream>

#include <spdlog/spdlog.h>

#include "dispatcher.hpp"

namespace ff {
namespace {

// Undoes mrkdwn escaping for the terminal: a person reads text, not entities.
std::string for_terminal(std::string text) {
  const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
  for (const auto& [entity, plain] : entities) {
    for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1)) {
      text.replace(at, std::string_view(entity).size(), plain);
    }
  }
  return text;
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out = prefix;
  for (char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

std::string text_of(const nlohmann::json& object) {
  if (object.is_object() && object.contains("text") && object["text"].is_string()) {
    return object["text"].get<std::string>();
  }
  return {};
}

}  // namespace

std::string ConsoleWorkspace::channel_label(std::string_view channel) const {
  if (channel == kChannel) return std::string("#") + kChannelName;
  if (channel == kDirectMessage || channel == kUser) return "direct message";
  return std::string(channel);
}

std::string ConsoleWorkspace::new_response_url(const std::string& channel) {
  std::lock_guard lock(mutex_);
  std::string url = "console://response/" + std::to_string(next_response_url_++);
  response_url_channels_[url] = channel;
  return url;
}

ApiResult ConsoleWorkspace::post_message(std::string_view channel, const Message& message) {
  std::lock_guard lock(mutex_);
  render(channel_label(channel), message);
  return ApiResult::success({{"ok", true}, {"channel", std::string(channel)}});
}

ApiResult ConsoleWorkspace::post_ephemeral(std::string_view channel, std::string_view,
                                           const Message& message) {
  std::lock_guard lock(mutex_);
  render(channel_label(channel) + ", only visible to you", message);
  return ApiResult::success();
}

ApiResult ConsoleWorkspace::respond(std::string_view response_url, const Message& message) {
  std::lock_guard lock(mutex_);
  const auto it = response_url_channels_.find(response_url);
  const std::string channel = it == response_url_channels_.end() ? kChannel : it->second;
  std::string where = channel_label(channel);
  if (message.response_type == ResponseType::kEphemeral) where += ", only visible to you";
  if (message.replace_original) where += ", replacing the previous message";
  render(where, message);
  return ApiResult::success();
}

void ConsoleWorkspace::render(const std::string& where, const Message& message) {
  std::lock_guard lock(mutex_);
  out_ << "\n┌ firstfollower (" << where << ")\n";
  std::string channel = kChannel;
  if (where.rfind("direct message", 0) == 0) channel = kDirectMessage;
  if (message.blocks.empty()) out_ << indent(for_terminal(message.text), "│ ") << "\n";
  for (const auto& block : message.blocks) {
    const std::string type = block.value("type", "");
    if (type == "section") {
      out_ << indent(for_terminal(text_of(block.value("text", nlohmann::json::object()))), "│ ")
           << "\n";
    } else if (type == "header") {
      out_ << "│ == " << for_terminal(text_of(block.value("text", nlohmann::json::object())))
           << " ==\n";
    } else if (type == "context") {
      for (const auto& element : block.value("elements", nlohmann::json::array())) {
        out_ << indent(for_terminal(text_of(element)), "│   ") << "\n";
      }
    } else if (type == "divider") {
      out_ << "│ ────────────\n";
    } else if (type == "actions") {
      std::string line = "│";
      for (const auto& element : block.value("elements", nlohmann::json::array())) {
        if (element.value("type", "") != "button") continue;
        const int number = next_button_++;
        buttons_[number] = {element.value("action_id", ""), block.value("block_id", ""),
                            element.value("value", ""), channel, new_response_url(channel)};
        line += " [" + std::to_string(number) + "] " +
                text_of(element.value("text", nlohmann::json::object()));
      }
      out_ << line << "\n";
    }
  }
  out_ << "└\n";
  out_.flush();
}

const ConsoleWorkspace::Button* ConsoleWorkspace::button(int number) const {
  std::lock_guard lock(mutex_);
  const auto it = buttons_.find(number);
  return it == buttons_.end() ? nullptr : &it->second;
}

namespace {

constexpr const char* kBanner =
    "firstfollower console: a stand-in for a Slack workspace, no Slack needed.\n"
    "You are in #general. Type a slash command (try /coach or /coach strategy),\n"
    "a button's number to press it, or any other text to write to the bot in a\n"
    "direct message (try: help). quit or Ctrl-D ends the session.\n"
    "To connect to Slack instead, set SLACK_APP_TOKEN and SLACK_BOT_TOKEN.\n";

void deliver(ConsoleWorkspace& workspace, const Reply& reply, const std::string& response_url) {
  if (reply.message) workspace.respond(response_url, *reply.message);
}

Reply route_safely(const EnvelopeRouter& router, const Request& request) {
  try {
    return router.route(request);
  } catch (const std::exception& error) {
    spdlog::error("handler for {} failed: {}", describe(request), error.what());
    return Reply::with(apology());
  }
}

}  // namespace

int run_console(const EnvelopeRouter& router, ConsoleWorkspace& workspace, std::istream& in,
                std::ostream& out, bool interactive) {
  out << kBanner;
  std::string line;
  int message_serial = 0;
  for (;;) {
    if (interactive) out << "\n> " << std::flush;
    if (!std::getline(in, line)) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (!interactive) out << "\n> " << line << "\n";
    if (line == "quit" || line == "exit") break;

    if (line.front() == '/') {
      SlashCommand command;
      const auto space = line.find(' ');
      command.command = line.substr(0, space);
      command.text = space == std::string::npos ? "" : line.substr(space + 1);
      command.team_id = "T0CONSOLE";
      command.channel_id = ConsoleWorkspace::kChannel;
      command.channel_name = ConsoleWorkspace::kChannelName;
      command.user_id = ConsoleWorkspace::kUser;
      command.user_name = "you";
      command.response_url = workspace.new_response_url(ConsoleWorkspace::kChannel);
      command.trigger_id = "console-trigger";
      deliver(workspace, route_safely(router, command), command.response_url);
      continue;
    }

    if (line.find_first_not_of("0123456789") == std::string::npos && line.size() < 9) {
      const auto* button = workspace.button(std::stoi(line));
      if (button == nullptr) {
        out << "There is no button " << line << ". Press one of the numbers shown in [brackets].\n";
        continue;
      }
      BlockAction action;
      action.team_id = "T0CONSOLE";
      action.user_id = ConsoleWorkspace::kUser;
      action.channel_id = button->channel;
      action.action_id = button->action_id;
      action.block_id = button->block_id;
      action.value = button->value;
      action.response_url = button->response_url;
      action.container_type = "message";
      deliver(workspace, route_safely(router, action), action.response_url);
      continue;
    }

    Event event;
    event.event_id = "Ev0CONSOLE" + std::to_string(++message_serial);
    event.team_id = "T0CONSOLE";
    event.type = "message";
    event.channel_type = "im";
    event.channel = ConsoleWorkspace::kDirectMessage;
    event.user = ConsoleWorkspace::kUser;
    event.text = line;
    event.ts = std::to_string(message_serial) + ".000000";
    route_safely(router, event);
  }
  out << "\nBye.\n";
  return 0;
}

}  // namespace ff
