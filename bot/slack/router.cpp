#include "bot/slack/router.hpp"

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"

namespace ff {

void EnvelopeRouter::command(std::string name, CommandHandler handler) {
  commands_[std::move(name)] = std::move(handler);
}
void EnvelopeRouter::action(std::string action_id, ActionHandler handler) {
  actions_[std::move(action_id)] = std::move(handler);
}
void EnvelopeRouter::view(std::string callback_id, ViewHandler handler) {
  views_[std::move(callback_id)] = std::move(handler);
}
void EnvelopeRouter::shortcut(std::string callback_id, ShortcutHandler handler) {
  shortcuts_[std::move(callback_id)] = std::move(handler);
}
void EnvelopeRouter::event(std::string type, EventHandler handler) {
  events_[std::move(type)] = std::move(handler);
}

std::set<std::string> EnvelopeRouter::commands() const {
  std::set<std::string> names;
  for (const auto& [name, handler] : commands_) names.insert(name);
  return names;
}

template <typename Handler>
const Handler* EnvelopeRouter::find(const std::map<std::string, Handler, std::less<>>& table,
                                    const std::string& key) const {
  if (const auto exact = table.find(key); exact != table.end()) return &exact->second;
  for (const auto& [pattern, handler] : table) {
    if (!pattern.empty() && pattern.back() == '*' &&
        key.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0) {
      return &handler;
    }
  }
  return nullptr;
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
    if (const auto* h = find(events_, e->type)) {
      (*h)(*e);
      return Reply::none();
    }
  }
  return unknown(request);
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
