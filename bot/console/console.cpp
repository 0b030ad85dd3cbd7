#include "bot/console/console.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <istream>
#include <mutex>
#include <ostream>

#include <spdlog/spdlog.h>

#include "bot/schedule/recurrence.hpp"
#include "bot/slack/dispatcher.hpp"
#include "bot/slack/envelope.hpp"

namespace ff {
namespace {

// Undoes mrkdwn escaping for the terminal: a person reads text, not
// entities, and "@alex" rather than <@U0ALEX>.
std::string for_terminal(std::string text) {
  const std::string channel_link = std::string("<#") + ConsoleWorkspace::kChannel + ">";
  for (auto at = text.find(channel_link); at != std::string::npos; at = text.find(channel_link)) {
    text.replace(at, channel_link.size(), std::string("#") + ConsoleWorkspace::kChannelName);
  }
  for (auto at = text.find("<@"); at != std::string::npos; at = text.find("<@", at + 1)) {
    const auto close = text.find('>', at);
    if (close == std::string::npos) break;
    std::string id = text.substr(at + 2, close - at - 2);
    if (const auto bar = id.find('|'); bar != std::string::npos) id.resize(bar);
    const auto* person = ConsoleWorkspace::person(id);
    text.replace(at, close - at + 1, "@" + std::string(person ? person->name : id));
  }
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

const std::vector<ConsoleWorkspace::Person>& ConsoleWorkspace::people() {
  static const std::vector<Person> all = {
      {kUser, "you", "Europe/London", 0, false},
      {"U0ALEX", "alex", "Europe/Berlin", 3600, false},
      {"U0SAM", "sam", "America/Chicago", -21600, false},
      {kBotUser, "firstfollower", "UTC", 0, true},
  };
  return all;
}

const ConsoleWorkspace::Person* ConsoleWorkspace::person_named(std::string_view name) {
  for (const auto& p : people()) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

const ConsoleWorkspace::Person* ConsoleWorkspace::person(std::string_view id) {
  for (const auto& p : people()) {
    if (id == p.id) return &p;
  }
  return nullptr;
}

std::string ConsoleWorkspace::link_mentions(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '@' && (i == 0 || text[i - 1] == ' ')) {
      std::size_t end = i + 1;
      while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                   text[end] == '.' || text[end] == '_')) {
        ++end;
      }
      if (const auto* p = person_named(std::string_view(text).substr(i + 1, end - i - 1))) {
        out += std::string("<@") + p->id + "|" + p->name + ">";
        i = end;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string ConsoleWorkspace::channel_label(std::string_view channel) const {
  if (channel == kChannel) return std::string("#") + kChannelName;
  if (channel == kDirectMessage || channel == kUser) return "direct message";
  if (const auto* p = person(channel)) return std::string("direct message to @") + p->name;
  if (!channel.empty() && channel.front() == 'D') {
    if (const auto* p = person("U" + std::string(channel.substr(1))))
      return std::string("direct message to @") + p->name;
  }
  return std::string(channel);
}

std::string ConsoleWorkspace::direct_message_with(std::string_view channel) {
  if (person(channel) == nullptr || channel.front() != 'U') return std::string(channel);
  return "D" + std::string(channel.substr(1));
}

std::string ConsoleWorkspace::next_ts() {
  // The real time, not the console's: a message ts must stay unique across
  // sessions on one database, or a dialog would take a new session's answer
  // for one it saw before.
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  last_ts_micros_ = std::max<long long>(now, last_ts_micros_ + 1);
  char ts[32];
  std::snprintf(ts, sizeof ts, "%lld.%06lld", last_ts_micros_ / 1000000, last_ts_micros_ % 1000000);
  return ts;
}

ApiResult ConsoleWorkspace::update_message(std::string_view channel, std::string_view ts,
                                           const Message& message) {
  std::lock_guard lock(mutex_);
  const bool direct = channel.front() == 'D' || channel.front() == 'U';
  render(channel_label(channel) + (direct ? ", updating the message" : ", updating the card"),
         std::string(channel), message, std::string(ts));
  return ApiResult::success();
}

ApiResult ConsoleWorkspace::do_not_disturb(std::string_view) {
  return ApiResult::success({{"ok", true}, {"dnd_enabled", false}, {"snooze_enabled", false}});
}

ApiResult ConsoleWorkspace::user_info(std::string_view user_id) {
  const auto* p = person(user_id);
  if (p == nullptr) return ApiResult::failure("user_not_found");
  return ApiResult::success({{"ok", true},
                             {"user",
                              {{"id", p->id},
                               {"name", p->name},
                               {"real_name", p->name},
                               {"deleted", false},
                               {"is_bot", p->is_bot},
                               {"tz", p->time_zone},
                               {"tz_offset", p->tz_offset}}}});
}

std::string ConsoleWorkspace::trigger_for(const std::string& user_id) {
  return "console-trigger-" + user_id;
}

ApiResult ConsoleWorkspace::open_view(std::string_view trigger_id, const nlohmann::json& view) {
  std::lock_guard lock(mutex_);
  const std::string_view prefix = "console-trigger-";
  OpenView open;
  open.user_id = trigger_id.substr(0, prefix.size()) == prefix
                     ? std::string(trigger_id.substr(prefix.size()))
                     : std::string(kUser);
  open.callback_id = view.value("callback_id", "");
  open.private_metadata = view.value("private_metadata", "");
  const auto* owner = person(open.user_id);
  out_ << "\n┌ " << text_of(view.value("title", nlohmann::json::object())) << " (a form"
       << (open.user_id == kUser || owner == nullptr ? std::string()
                                                     : std::string(" for @") + owner->name)
       << ")\n";
  for (const auto& block : view.value("blocks", nlohmann::json::array())) {
    const std::string type = block.value("type", "");
    if (type == "section" || type == "context") {
      const auto text = type == "section"
                            ? text_of(block.value("text", nlohmann::json::object()))
                            : text_of(block.value("elements", nlohmann::json::array()).at(0));
      out_ << indent(for_terminal(text), "│ ") << "\n";
    } else if (type == "input") {
      const auto element = block.value("element", nlohmann::json::object());
      out_ << "│ " << text_of(block.value("label", nlohmann::json::object())) << "\n";
      if (element.value("type", "") == "users_select") {
        open.user_block_id = block.value("block_id", "");
        open.user_action_id = element.value("action_id", "");
        out_ << "│   (start your answer with @name: @alex or @sam)\n";
      } else if (element.value("type", "") == "conversations_select") {
        open.channel_block_id = block.value("block_id", "");
        open.channel_action_id = element.value("action_id", "");
        out_ << "│   (start your answer with the channel: #" << kChannelName << ")\n";
      } else if (element.value("type", "") == "checkboxes") {
        const auto option = element.value("options", nlohmann::json::array()).at(0);
        open.checkbox_block_id = block.value("block_id", "");
        open.checkbox_action_id = element.value("action_id", "");
        open.checkbox_value = option.value("value", "");
        out_ << "│   (start your answer with ! for: "
             << text_of(option.value("text", nlohmann::json::object())) << ")\n";
      } else if (open.block_id.empty()) {
        open.block_id = block.value("block_id", "");
        open.action_id = element.value("action_id", "");
      }
    }
  }
  out_ << (open.user_id == kUser || owner == nullptr
               ? std::string("│ Type your answer on the next line, or cancel.\n└\n")
               : std::string("│ Type \"as ") + owner->name + ": <answer>\", or \"as " +
                     owner->name + ": cancel\".\n└\n");
  out_.flush();
  const std::string user = open.user_id;
  open_views_[user] = std::move(open);
  return ApiResult::success({{"ok", true}, {"view", {{"id", "V0CONSOLE"}}}});
}

ApiResult ConsoleWorkspace::publish_home(std::string_view user_id, const nlohmann::json& view) {
  std::lock_guard lock(mutex_);
  homes_[std::string(user_id)] = view;
  return ApiResult::success();
}

void ConsoleWorkspace::show_home(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  const auto it = homes_.find(user_id);
  if (it == homes_.end()) return;
  Message home;
  home.text = "App Home";
  home.blocks = it->second.value("blocks", nlohmann::json::array());
  const auto* owner = person(user_id);
  // No channel: its buttons are pressed on a view, as App Home's are.
  render(user_id == kUser || owner == nullptr ? std::string("App Home")
                                              : std::string("App Home of @") + owner->name,
         "", home);
}

std::optional<ConsoleWorkspace::OpenView> ConsoleWorkspace::take_open_view(
    const std::string& user_id) {
  std::lock_guard lock(mutex_);
  const auto it = open_views_.find(user_id);
  if (it == open_views_.end()) return std::nullopt;
  OpenView view = std::move(it->second);
  open_views_.erase(it);
  return view;
}

void ConsoleWorkspace::reopen_view(OpenView view) {
  std::lock_guard lock(mutex_);
  const std::string user = view.user_id;
  open_views_[user] = std::move(view);
}

std::string ConsoleWorkspace::new_response_url(const std::string& channel,
                                               const std::string& user_id) {
  std::lock_guard lock(mutex_);
  std::string url = "console://response/" + std::to_string(next_response_url_++);
  response_urls_[url] = {channel, user_id};
  return url;
}

std::string ConsoleWorkspace::only_visible_to(std::string_view user_id) {
  const auto* p = person(user_id);
  if (user_id == kUser || p == nullptr) return ", only visible to you";
  return std::string(", only visible to @") + p->name;
}

ApiResult ConsoleWorkspace::post_message(std::string_view channel, const Message& message) {
  std::lock_guard lock(mutex_);
  std::string where = channel_label(channel);
  if (!message.thread_ts.empty()) where += ", in the thread";
  const std::string ts = next_ts();
  // As in Slack, a post to a person lands in the DM with them, and its
  // buttons carry that DM's channel id, not the person's.
  const std::string posted_in = direct_message_with(channel);
  render(where, posted_in, message, ts);
  return ApiResult::success({{"ok", true}, {"channel", posted_in}, {"ts", ts}});
}

ApiResult ConsoleWorkspace::post_ephemeral(std::string_view channel, std::string_view user,
                                           const Message& message) {
  std::lock_guard lock(mutex_);
  render(channel_label(channel) + only_visible_to(user), std::string(channel), message);
  return ApiResult::success();
}

ApiResult ConsoleWorkspace::respond(std::string_view response_url, const Message& message) {
  std::lock_guard lock(mutex_);
  const auto it = response_urls_.find(response_url);
  const ResponseTarget target =
      it == response_urls_.end() ? ResponseTarget{kChannel, kUser} : it->second;
  const std::string& channel = target.channel;
  std::string where = channel_label(channel);
  if (message.replace_original) {
    where += ", replacing the previous message";
  } else if (message.response_type == ResponseType::kEphemeral) {
    where += only_visible_to(target.user_id);
  }
  render(where, channel, message);
  return ApiResult::success();
}

void ConsoleWorkspace::render(const std::string& where, const std::string& channel,
                              const Message& message, const std::string& ts) {
  std::lock_guard lock(mutex_);
  out_ << "\n┌ firstfollower (" << where << ")\n";
  const std::string message_ts = ts.empty() ? next_ts() : ts;
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
                            element.value("value", ""), channel, message_ts};
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
    "a button's number to press it (7, or [7] as it is shown), or any other text\n"
    "to write to the bot in a direct message (try: help). Your colleagues @alex\n"
    "and @sam are here too: \"as alex: <line>\" does something as alex, such as\n"
    "\"as alex: [7]\". \"time fri 16:00\" or \"wait 2h\" moves the console's clock,\n"
    "so what is due then (a nudge, a reminder) comes now. home shows your App\n"
    "Home. quit, Ctrl-D or Ctrl-C ends the session.\n"
    "To connect to Slack instead, set SLACK_APP_TOKEN and SLACK_BOT_TOKEN.\n";

// Hands one request to the dispatcher as Slack would hand it over Socket
// Mode, and waits until it is handled: the same dedupe, per-person order,
// error handling and reply path as in Slack mode. Replies reach the
// terminal through the workspace (respond, post_message); what travelled in
// the ack (a form's errors) is returned.
class ConsoleTransport {
 public:
  ConsoleTransport(Dispatcher& dispatcher, const Clock& clock)
      : dispatcher_(dispatcher),
        // Ids are unique across sessions on one database (the time), also
        // for sessions started within one millisecond (the count), or
        // dedupe would drop a later session's first requests.
        prefix_("console-" +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   clock.now().time_since_epoch())
                                   .count()) +
                "-" + std::to_string(++sessions_) + "-") {}

  std::optional<nlohmann::json> deliver(const char* type, Request request) {
    // The same check as Slack's envelopes get at the edge, so the console's
    // made-up ids stay ones the handlers and the store accept in Slack mode.
    try {
      check_ids(request);
    } catch (const ForgedId& refused) {
      spdlog::error("console: refused a request: {}", refused.what());
      return std::nullopt;
    }
    Envelope envelope;
    envelope.envelope_id = next_id();
    envelope.type = type;
    if (auto* event = std::get_if<Event>(&request)) event->event_id = next_id();
    envelope.request = std::move(request);
    auto ack = std::make_shared<Acked>();
    if (!dispatcher_.dispatch(std::move(envelope), ack)) return std::nullopt;
    // Bounded: a handler stuck on a Web API call gives the prompt back.
    if (!dispatcher_.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds{60})) {
      spdlog::warn("console: a request is still being handled after 60 s");
    }
    return ack->payload();
  }

 private:
  class Acked final : public Ack {
   public:
    bool send(std::optional<nlohmann::json> payload) override {
      std::lock_guard lock(mutex_);
      if (sent_) return false;
      sent_ = true;
      payload_ = std::move(payload);
      return true;
    }
    bool hold() override {
      std::lock_guard lock(mutex_);
      return !sent_;
    }
    std::optional<nlohmann::json> payload() {
      std::lock_guard lock(mutex_);
      return payload_;
    }

   private:
    std::mutex mutex_;
    bool sent_ = false;
    std::optional<nlohmann::json> payload_;
  };

  std::string next_id() { return prefix_ + std::to_string(++serial_); }

  static inline std::atomic<int> sessions_{0};
  Dispatcher& dispatcher_;
  std::string prefix_;
  int serial_ = 0;
};

// Answers the open modal with a line the person typed: a view_submission
// like Slack's, carrying the text (and the checkbox, when the line starts
// with "!"). Errors keep the modal open.
// Opening the App Home tab: Slack tells the bot (app_home_opened), the bot
// publishes the Home, and the console shows it.
void open_home(ConsoleTransport& transport, ConsoleWorkspace& workspace, const std::string& user) {
  Event opened;
  opened.team_id = ConsoleWorkspace::kTeam;
  opened.type = "app_home_opened";
  opened.tab = "home";
  opened.user = user;
  opened.channel = ConsoleWorkspace::direct_message_with(user);
  transport.deliver("events_api", std::move(opened));
  workspace.show_home(user);
}

void submit_view(ConsoleTransport& transport, ConsoleWorkspace& workspace,
                 ConsoleWorkspace::OpenView view, const std::string& line, const std::string& user,
                 std::ostream& out) {
  ViewSubmission submission;
  submission.team_id = ConsoleWorkspace::kTeam;
  submission.user_id = user;
  submission.view_id = "V0CONSOLE";
  submission.callback_id = view.callback_id;
  submission.private_metadata = view.private_metadata;
  std::string text = line;
  nlohmann::json values = nlohmann::json::object();
  if (!view.checkbox_block_id.empty()) {
    nlohmann::json selected = nlohmann::json::array();
    if (!text.empty() && text.front() == '!') {
      text.erase(0, 1);
      selected.push_back({{"value", view.checkbox_value}});
    }
    values[view.checkbox_block_id][view.checkbox_action_id] = {{"type", "checkboxes"},
                                                               {"selected_options", selected}};
  }
  if (!view.user_block_id.empty()) {
    std::string selected;
    if (!text.empty() && text.front() == '@') {
      const auto end = std::min(text.find(' '), text.size());
      if (const auto* p = ConsoleWorkspace::person_named(text.substr(1, end - 1))) selected = p->id;
      text = end < text.size() ? text.substr(end + 1) : std::string();
    }
    values[view.user_block_id][view.user_action_id] = {{"type", "users_select"},
                                                       {"selected_user", selected}};
  }
  if (!view.channel_block_id.empty()) {
    std::string selected;
    const std::string general = std::string("#") + ConsoleWorkspace::kChannelName;
    if (text.rfind(general, 0) == 0 &&
        (text.size() == general.size() || text[general.size()] == ' ')) {
      selected = ConsoleWorkspace::kChannel;
      text = text.size() > general.size() ? text.substr(general.size() + 1) : std::string();
    }
    values[view.channel_block_id][view.channel_action_id] = {{"type", "conversations_select"},
                                                             {"selected_conversation", selected}};
  }
  if (!view.block_id.empty()) {
    values[view.block_id][view.action_id] = {{"type", "plain_text_input"}, {"value", text}};
  }
  submission.form = FormValues::from_json(values);
  const auto response = transport.deliver("interactive", submission);
  if (response && response->value("response_action", "") == "errors") {
    const nlohmann::json errors = response->value("errors", nlohmann::json::object());
    for (const auto& [block, error] : errors.items()) {
      out << "  ! " << error.get<std::string>() << "\n";
    }
    out << "  Type your answer again, or cancel.\n";
    workspace.reopen_view(std::move(view));
  }
}

// "2h", "30m", "1d12h", "90s": how far `wait` moves the clock; nullopt for
// anything else.
std::optional<std::chrono::seconds> parse_wait(std::string_view text) {
  std::chrono::seconds total{0};
  if (text.empty()) return std::nullopt;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && digits < 6 &&
           std::isdigit(static_cast<unsigned char>(text[digits])))
      ++digits;
    if (digits == 0 || digits == text.size()) return std::nullopt;
    const long amount = std::stol(std::string(text.substr(0, digits)));
    const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(text[digits])));
    const long seconds = unit == 'd'   ? 86400
                         : unit == 'h' ? 3600
                         : unit == 'm' ? 60
                         : unit == 's' ? 1
                                       : 0;
    if (seconds == 0) return std::nullopt;
    total += std::chrono::seconds{amount * seconds};
    text.remove_prefix(digits + 1);
  }
  // At most a year at a time: enough to see any reminder, far from overflow.
  if (total > std::chrono::hours{24 * 366}) return std::nullopt;
  return total;
}

// "7" or "[7]": the console prints a button as "[7] Label", so a person
// types either. Anything else (such as "[7" or "7]") is not a press.
std::optional<int> button_number(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() >= 9 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::stoi(std::string(text));
}

// The console's time as the person at the terminal lives it: in their own
// time zone, the one their nudges and reminders are counted in.
std::string your_time(std::chrono::system_clock::time_point at) {
  const auto* you = ConsoleWorkspace::person(ConsoleWorkspace::kUser);
  return moment_in_words(at, you->time_zone) + " your time (" + you->time_zone + ")";
}

// "time +3d" moves the clock by 3 days (as "wait 3d"); "time fri 16:00" and
// "time 9:00" to the next such moment, your time. How far, or nullopt.
std::optional<std::chrono::system_clock::duration> time_move(
    std::string_view text, std::chrono::system_clock::time_point now) {
  if (!text.empty() && text.front() == '+') {
    const auto by = parse_wait(text.substr(1));
    if (!by) return std::nullopt;
    return *by;
  }
  const bool time_only = text.find(' ') == std::string_view::npos;
  const auto rule =
      parse_recurrence(time_only ? "daily " + std::string(text) : "weekly " + std::string(text));
  if (!std::holds_alternative<Recurrence>(rule)) return std::nullopt;
  NudgeCalendar any_time;
  any_time.quiet_from = any_time.quiet_until;
  const auto* you = ConsoleWorkspace::person(ConsoleWorkspace::kUser);
  const auto next = next_occurrence(std::get<Recurrence>(rule), now, you->time_zone, any_time);
  if (!next) return std::nullopt;
  return *next - now;
}

}  // namespace

int run_console(Dispatcher& dispatcher, ConsoleWorkspace& workspace, std::istream& in,
                std::ostream& out, const ConsoleOptions& options) {
  const bool interactive = options.interactive;
  const auto& run_due_jobs = options.run_due_jobs;
  const Clock& clock = options.movable_clock != nullptr
                           ? static_cast<const Clock&>(*options.movable_clock)
                           : SystemClock::instance();
  ConsoleTransport transport(dispatcher, clock);
  out << kBanner;
  std::string line;
  const auto stopping = [&options] {
    return options.stop_requested != nullptr && options.stop_requested->load();
  };
  if (options.before_reading) options.before_reading();
  for (;;) {
    if (stopping()) break;
    if (run_due_jobs) run_due_jobs();
    if (interactive) out << "\n> " << std::flush;
    if (!std::getline(in, line)) break;
    if (stopping()) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (!interactive) out << "\n> " << line << "\n";
    if (line == "quit" || line == "exit") break;

    if (line == "wait" || line.rfind("wait ", 0) == 0) {
      const auto by = parse_wait(line.size() > 5 ? std::string_view(line).substr(5) : "");
      if (!by || options.movable_clock == nullptr) {
        out << "wait moves the console's clock forward, so what is due later happens now: "
               "wait 2h, wait 30m, wait 1d, wait 1d12h.\n";
        continue;
      }
      options.movable_clock->advance(*by);
      out << "It is now " << your_time(clock.now()) << ".\n";
      continue;
    }
    if (line == "time" || line.rfind("time ", 0) == 0) {
      const auto by =
          time_move(line.size() > 5 ? std::string_view(line).substr(5) : "", clock.now());
      if (!by || options.movable_clock == nullptr) {
        out << "It is " << your_time(clock.now())
            << ". time moves the console's clock, so what is due later happens now: time +3d, "
               "time +2h, time fri 16:00, time 9:00.\n";
        continue;
      }
      options.movable_clock->advance(std::chrono::duration_cast<std::chrono::nanoseconds>(*by));
      out << "It is now " << your_time(clock.now()) << ".\n";
      continue;
    }

    // "as alex: 3" (or "as alex: [3]") presses button 3 as @alex.
    std::string user = ConsoleWorkspace::kUser;
    std::string user_name = "you";
    if (line.rfind("as ", 0) == 0 && line.find(':') != std::string::npos) {
      const std::string name = line.substr(3, line.find(':') - 3);
      const auto* person = ConsoleWorkspace::person_named(name);
      if (person == nullptr || person->is_bot) {
        out << "There is nobody called " << name << " here. Try: as alex: <line>\n";
        continue;
      }
      user = person->id;
      user_name = person->name;
      line = line.substr(line.find(':') + 1);
      line.erase(0, line.find_first_not_of(" \t"));
      if (line.empty()) continue;
    }

    if (auto view = workspace.take_open_view(user)) {
      if (line == "cancel") {
        out << "Form closed.\n";
      } else {
        submit_view(transport, workspace, std::move(*view), line, user, out);
      }
      continue;
    }

    if (line == "home") {
      open_home(transport, workspace, user);
      continue;
    }

    if (line.front() == '/') {
      SlashCommand command;
      const auto space = line.find(' ');
      command.command = line.substr(0, space);
      command.text =
          space == std::string::npos ? "" : ConsoleWorkspace::link_mentions(line.substr(space + 1));
      command.team_id = ConsoleWorkspace::kTeam;
      command.channel_id = ConsoleWorkspace::kChannel;
      command.channel_name = ConsoleWorkspace::kChannelName;
      command.user_id = user;
      command.user_name = user_name;
      command.response_url = workspace.new_response_url(ConsoleWorkspace::kChannel, user);
      command.trigger_id = ConsoleWorkspace::trigger_for(user);
      transport.deliver("slash_commands", std::move(command));
      continue;
    }

    if (const auto number = button_number(line)) {
      const auto* button = workspace.button(*number);
      if (button == nullptr) {
        out << "There is no button " << *number
            << ". Press one of the numbers shown in [brackets].\n";
        continue;
      }
      BlockAction action;
      action.team_id = ConsoleWorkspace::kTeam;
      action.user_id = user;
      action.channel_id = button->channel;
      action.action_id = button->action_id;
      action.block_id = button->block_id;
      action.value = button->value;
      // Each press gets its own response_url, as in Slack: what it answers
      // is for the one who pressed.
      action.trigger_id = ConsoleWorkspace::trigger_for(user);
      if (button->channel.empty()) {
        // On App Home: no message and no response_url, as in Slack; the
        // Home, published again, is the answer.
        action.container_type = "view";
      } else {
        action.response_url = workspace.new_response_url(button->channel, user);
        action.message_ts = button->message_ts;
        action.container_type = "message";
      }
      const bool on_home = button->channel.empty();
      transport.deliver("interactive", std::move(action));
      // The Home as it is after the press, as Slack shows it once the bot
      // publishes it again.
      if (on_home) open_home(transport, workspace, user);
      continue;
    }

    Event event;
    event.team_id = ConsoleWorkspace::kTeam;
    event.type = "message";
    event.channel_type = "im";
    event.channel = ConsoleWorkspace::kDirectMessage;
    event.user = user;
    event.text = line;
    event.ts = workspace.next_ts();
    transport.deliver("events_api", std::move(event));
  }
  out << "\nBye.\n";
  return 0;
}

}  // namespace ff
