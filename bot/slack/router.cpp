#include "bot/slack/router.hpp"

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"

namespace ff {
namespace {

bool is_prefix_pattern(std::string_view key) {
  return !key.empty() && key.back() == '*';
}

// Two keys answer the same request when they are equal, or when both are
// prefix patterns and one prefix contains the other (which would win then
// depends on map order, not on intent).
bool overlaps(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (!is_prefix_pattern(a) || !is_prefix_pattern(b)) return false;
  a.remove_suffix(1);
  b.remove_suffix(1);
  return a.substr(0, b.size()) == b.substr(0, a.size());
}

}  // namespace

bool is_persons_direct_message(const Event& event) {
  // A file shared with a line of text is a message too; an edit or a
  // deletion (message_changed, message_deleted) is not a new one.
  return event.type == "message" && event.channel_type == "im" && event.bot_id.empty() &&
         (event.subtype.empty() || event.subtype == "file_share") && !event.channel.empty();
}

template <typename Handler>
void EnvelopeRouter::add(Table<Handler>& table, const char* kind, std::string key,
                         const std::string& feature, Handler handler) {
  for (const auto& [existing, registered] : table) {
    if (overlaps(existing, key)) {
      throw RouteConflict(std::string(kind) + " '" + key + "' of " + feature + " collides with '" +
                          existing + "' of " + registered.feature);
    }
  }
  table.emplace(std::move(key), Registered<Handler>{feature, std::move(handler)});
}

void EnvelopeRouter::Routes::command(std::string name, CommandHandler handler) {
  router_.add(router_.commands_, "command", std::move(name), feature_, std::move(handler));
}
void EnvelopeRouter::Routes::action(std::string action_id, ActionHandler handler) {
  router_.add(router_.actions_, "action", std::move(action_id), feature_, std::move(handler));
}
void EnvelopeRouter::Routes::view(std::string callback_id, ViewHandler handler) {
  router_.add(router_.views_, "view", std::move(callback_id), feature_, std::move(handler));
}
void EnvelopeRouter::Routes::shortcut(std::string callback_id, ShortcutHandler handler) {
  router_.add(router_.shortcuts_, "shortcut", std::move(callback_id), feature_, std::move(handler));
}
void EnvelopeRouter::Routes::event(std::string type, EventHandler handler) {
  router_.add(router_.events_, "event", std::move(type), feature_, std::move(handler));
}
void EnvelopeRouter::Routes::conversation(ConversationClaim claims, EventHandler handler) {
  router_.conversations_.push_back({feature_, std::move(claims), std::move(handler)});
}
void EnvelopeRouter::Routes::other_direct_messages(EventHandler handler) {
  if (const auto& existing = router_.other_direct_messages_) {
    throw RouteConflict("other direct messages of " + feature_ + " collide with those of " +
                        existing->feature);
  }
  router_.other_direct_messages_ = Registered<EventHandler>{feature_, std::move(handler)};
}

std::set<std::string> EnvelopeRouter::commands() const {
  std::set<std::string> names;
  for (const auto& [name, registered] : commands_) names.insert(name);
  return names;
}

template <typename Handler>
const Handler* EnvelopeRouter::find(const Table<Handler>& table, const std::string& key) const {
  if (const auto exact = table.find(key); exact != table.end()) return &exact->second.handler;
  for (const auto& [pattern, registered] : table) {
    if (is_prefix_pattern(pattern) &&
        key.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0) {
      return &registered.handler;
    }
  }
  return nullptr;
}

void EnvelopeRouter::route_direct_message(const Event& event) const {
  // Bots' messages (our own replies come back as events too), edits and
  // joins are nobody's conversation.
  if (!is_persons_direct_message(event)) return;
  for (const auto& conversation : conversations_) {
    if (conversation.claims(event)) {
      conversation.handler(event);
      return;
    }
  }
  if (other_direct_messages_) {
    other_direct_messages_->handler(event);
  } else {
    unknown(event);
  }
}

Reply EnvelopeRouter::route(const Request& request) const {
  if (const auto* c = std::get_if<SlashCommand>(&request)) {
    if (const auto* h = find(commands_, c->command)) return (*h)(*c);
  } else if (const auto* a = std::get_if<BlockAction>(&request)) {
    if (const auto* h = find(actions_, a->action_id)) return (*h)(*a);
  } else if (const auto* v = std::get_if<ViewSubmission>(&request)) {
    if (const auto* h = find(views_, v->callback_id)) return (*h)(*v);
  } else if (const auto* s = std::get_if<Shortcut>(&request)) {
    if (const auto* h = find(shortcuts_, s->callback_id)) return (*h)(*s);
  } else if (const auto* e = std::get_if<Event>(&request)) {
    if (e->type == "message" && e->channel_type == "im") {
      route_direct_message(*e);
      return Reply::none();
    }
    if (const auto* h = find(events_, e->type)) {
      (*h)(*e);
      return Reply::none();
    }
  }
  return unknown(request);
}

std::string EnvelopeRouter::counted_name(const Request& request) const {
  bool known = false;
  if (const auto* c = std::get_if<SlashCommand>(&request)) {
    known = find(commands_, c->command) != nullptr;
  } else if (const auto* a = std::get_if<BlockAction>(&request)) {
    known = find(actions_, a->action_id) != nullptr;
  } else if (const auto* v = std::get_if<ViewSubmission>(&request)) {
    known = find(views_, v->callback_id) != nullptr;
  } else if (const auto* s = std::get_if<Shortcut>(&request)) {
    known = find(shortcuts_, s->callback_id) != nullptr;
  } else if (const auto* e = std::get_if<Event>(&request)) {
    known = (e->type == "message" && e->channel_type == "im") || find(events_, e->type) != nullptr;
  }
  return known ? describe(request) : "unknown";
}

Reply EnvelopeRouter::unknown(const Request& request) const {
  ++unknown_count_;
  const std::string kind = describe(request);
  {
    std::lock_guard lock(logged_mutex_);
    // Bounded so a stream of invented names cannot grow the set without end.
    if (logged_unknown_.size() < 1000 && logged_unknown_.insert(kind).second) {
      spdlog::info("no handler for {} (logged once; further ones are only counted)", kind);
    }
  }
  if (const auto* c = std::get_if<SlashCommand>(&request)) {
    return Reply::with(Message::plain("I don't know the command `" + mrkdwn::escape(c->command) +
                                      "`. Type `/coach help` to see what I can do."));
  }
  if (std::holds_alternative<BlockAction>(request)) {
    return Reply::with(Message::plain(
        "That button no longer does anything. Type `/coach help` to see what I can do."));
  }
  return Reply::none();
}

}  // namespace ff
