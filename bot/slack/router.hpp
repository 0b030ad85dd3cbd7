#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "bot/slack/blocks.hpp"
#include "bot/slack/envelope.hpp"

namespace ff {

// What a handler gives back. A command's message is its reply (in the ack
// when it is ready in time, else through response_url); an action's message
// goes to its response_url; a view handler may set view_response, the
// response_action that travels in the ack.
struct Reply {
  std::optional<Message> message;
  std::optional<nlohmann::json> view_response;

  static Reply none() { return {}; }
  static Reply with(Message m) { return {std::move(m), std::nullopt}; }
};

// Listeners registered by what they match, like Bolt's app.command(…),
// app.action(…): reading the registrations reads like the product's table of
// contents. The same router serves Slack mode and console mode.
class EnvelopeRouter {
 public:
  using CommandHandler = std::function<Reply(const SlashCommand&)>;
  using ActionHandler = std::function<Reply(const BlockAction&)>;
  using ViewHandler = std::function<Reply(const ViewSubmission&)>;
  using ShortcutHandler = std::function<Reply(const Shortcut&)>;
  using EventHandler = std::function<void(const Event&)>;

  void command(std::string name, CommandHandler handler);
  // An action_id ending in '*' matches every id with that prefix.
  void action(std::string action_id, ActionHandler handler);
  void view(std::string callback_id, ViewHandler handler);
  void shortcut(std::string callback_id, ShortcutHandler handler);
  void event(std::string type, EventHandler handler);

  // Runs the matching handler. A request nothing matches is logged once per
  // kind, counted, and answered with a hint where the user can see one.
  Reply route(const Request& request) const;

  std::uint64_t unknown_count() const { return unknown_count_.load(); }
  std::set<std::string> commands() const;

 private:
  Reply unknown(const Request& request) const;
  template <typename Handler>
  const Handler* find(const std::map<std::string, Handler, std::less<>>& table,
                      const std::string& key) const;

  std::map<std::string, CommandHandler, std::less<>> commands_;
  std::map<std::string, ActionHandler, std::less<>> actions_;
  std::map<std::string, ViewHandler, std::less<>> views_;
  std::map<std::string, ShortcutHandler, std::less<>> shortcuts_;
  std::map<std::string, EventHandler, std::less<>> events_;

  mutable std::atomic<std::uint64_t> unknown_count_{0};
  mutable std::mutex logged_mutex_;
  mutable std::set<std::string> logged_unknown_;
};

}  // namespace ff
