#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

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

// Two features registered for the same request: found at start, never
// settled silently by whichever registered last.
class RouteConflict : public std::logic_error {
 public:
  using std::logic_error::logic_error;
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
  // Whether a feature owns the conversation a direct message belongs to.
  using ConversationClaim = std::function<bool(const Event&)>;

  // One feature's registrations, named so that a conflict names both
  // features. Each method throws RouteConflict when another registration
  // already answers the same key.
  class Routes {
   public:
    void command(std::string name, CommandHandler handler);
    // An action_id ending in '*' matches every id with that prefix; an exact
    // id wins over a prefix.
    void action(std::string action_id, ActionHandler handler);
    void view(std::string callback_id, ViewHandler handler);
    void shortcut(std::string callback_id, ShortcutHandler handler);
    // Events other than a person's direct messages to the bot.
    void event(std::string type, EventHandler handler);
    // A person's direct messages to the bot go to the first feature, in
    // registration order, whose claim accepts the message (an open
    // conversation with it), else to the one fallback.
    void conversation(ConversationClaim claims, EventHandler handler);
    void other_direct_messages(EventHandler handler);

   private:
    friend class EnvelopeRouter;
    Routes(EnvelopeRouter& router, std::string feature)
        : router_(router), feature_(std::move(feature)) {}
    EnvelopeRouter& router_;
    std::string feature_;
  };

  Routes feature(std::string name) { return Routes(*this, std::move(name)); }

  // Runs the matching handler. A request nothing matches is logged once per
  // kind, counted, and answered with a hint where the user can see one.
  Reply route(const Request& request) const;

  // The name a request is counted under in the metrics: describe()'s when a
  // handler is registered for it, else "unknown", so invented action ids
  // and callback ids cannot make new series.
  std::string counted_name(const Request& request) const;

  std::uint64_t unknown_count() const { return unknown_count_.load(); }
  std::set<std::string> commands() const;

 private:
  template <typename Handler>
  struct Registered {
    std::string feature;
    Handler handler;
  };
  template <typename Handler>
  using Table = std::map<std::string, Registered<Handler>, std::less<>>;
  struct Conversation {
    std::string feature;
    ConversationClaim claims;
    EventHandler handler;
  };

  template <typename Handler>
  void add(Table<Handler>& table, const char* kind, std::string key, const std::string& feature,
           Handler handler);
  template <typename Handler>
  const Handler* find(const Table<Handler>& table, const std::string& key) const;
  void route_direct_message(const Event& event) const;
  Reply unknown(const Request& request) const;

  Table<CommandHandler> commands_;
  Table<ActionHandler> actions_;
  Table<ViewHandler> views_;
  Table<ShortcutHandler> shortcuts_;
  Table<EventHandler> events_;
  std::vector<Conversation> conversations_;
  std::optional<Registered<EventHandler>> other_direct_messages_;

  mutable std::atomic<std::uint64_t> unknown_count_{0};
  mutable std::mutex logged_mutex_;
  mutable std::set<std::string> logged_unknown_;
};

// A message a person wrote to the bot in their direct message with it: not
// a bot's (the bot's own included), not an edit, join or other subtype
// (a file share, which may carry text, is one).
bool is_persons_direct_message(const Event& event);

}  // namespace ff
