#pragma once

#include <atomic>
#include <functional>
#include <iosfwd>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bot/clock.hpp"
#include "bot/slack/dispatcher.hpp"
#include "bot/slack/slack_api.hpp"

namespace ff {

// Console mode's stand-in for a Slack workspace: what the bot would send to
// Slack is printed as readable text, buttons get numbers a person types, and
// a modal asks for its answer on the next line. A few colleagues live in it
// (@alex, @sam) so that commands about other people can be tried; "as alex:"
// before a line acts as them.
class ConsoleWorkspace final : public SlackApi {
 public:
  static constexpr const char* kChannel = "C0CONSOLE";
  static constexpr const char* kChannelName = "general";
  static constexpr const char* kUser = "U0CONSOLE";
  static constexpr const char* kBotUser = "U0BOT";
  static constexpr const char* kDirectMessage = "D0CONSOLE";
  static constexpr const char* kTeam = "T0CONSOLE";

  struct Person {
    const char* id;
    const char* name;
    const char* time_zone;
    int tz_offset;
    bool is_bot;
  };
  static const std::vector<Person>& people();
  static const Person* person_named(std::string_view name);
  static const Person* person(std::string_view id);
  // The channel a post to `channel` lands in: for a person's user id the
  // DM with them (U0ALEX: D0ALEX), else `channel` itself.
  static std::string direct_message_with(std::string_view channel);

  explicit ConsoleWorkspace(std::ostream& out) : out_(out) {}

  ApiResult post_message(std::string_view channel, const Message& message) override;
  ApiResult post_ephemeral(std::string_view channel, std::string_view user,
                           const Message& message) override;
  ApiResult respond(std::string_view response_url, const Message& message) override;
  ApiResult update_message(std::string_view channel, std::string_view ts,
                           const Message& message) override;
  ApiResult user_info(std::string_view user_id) override;
  ApiResult open_view(std::string_view trigger_id, const nlohmann::json& view) override;
  // Kept as the person's Home, and printed by show_home when they look at
  // it (`home`), as Slack shows a Home only on its tab.
  ApiResult publish_home(std::string_view user_id, const nlohmann::json& view) override;
  void show_home(const std::string& user_id);
  // Nobody in the console is ever in Do Not Disturb.
  ApiResult do_not_disturb(std::string_view user_id) override;

  // A new message ts, as Slack's: the time in microseconds, later than any
  // handed out before. Also what a line typed to the bot is stamped with.
  std::string next_ts();

  // Prints a message as it would appear in `where`, numbering its buttons;
  // `ts` is the message's own (a new one when empty), which its buttons carry.
  void render(const std::string& where, const std::string& channel, const Message& message,
              const std::string& ts = {});

  struct Button {
    std::string action_id;
    std::string block_id;
    std::string value;
    std::string channel;
    std::string message_ts;
  };
  const Button* button(int number) const;

  // A modal waiting for its answer. Each person has at most one, opened by
  // what they did ("as alex: 5" opens alex's), and only their next line
  // answers it.
  struct OpenView {
    std::string user_id;
    std::string callback_id;
    std::string private_metadata;
    std::string block_id;       // of its text input
    std::string action_id;      // of its text input
    std::string user_block_id;  // of its person picker
    std::string user_action_id;
    std::string channel_block_id;  // of its channel picker
    std::string channel_action_id;
    std::string checkbox_block_id;
    std::string checkbox_action_id;
    std::string checkbox_value;
  };
  std::optional<OpenView> take_open_view(const std::string& user_id);
  void reopen_view(OpenView view);

  // As in Slack, a reply through response_url or an ephemeral message is
  // seen by the one person who acted: these carry who that is, so the
  // console labels what alex sees as alex's.
  std::string new_response_url(const std::string& channel, const std::string& user_id);
  static std::string trigger_for(const std::string& user_id);

  // "@alex" typed in the console becomes "<@U0ALEX|alex>", as Slack escapes
  // mentions in slash commands.
  static std::string link_mentions(const std::string& text);

 private:
  std::string channel_label(std::string_view channel) const;
  static std::string only_visible_to(std::string_view user_id);

  // The job scheduler prints from its own thread (a scheduled message).
  mutable std::recursive_mutex mutex_;
  std::ostream& out_;
  int next_button_ = 1;
  int next_response_url_ = 1;
  long long last_ts_micros_ = 0;                 // of the latest message ts handed out
  std::map<std::string, OpenView> open_views_;   // by user id
  std::map<std::string, nlohmann::json> homes_;  // each person's latest Home, by user id
  std::map<int, Button> buttons_;
  struct ResponseTarget {
    std::string channel;
    std::string user_id;
  };
  std::map<std::string, ResponseTarget, std::less<>> response_urls_;
};

struct ConsoleOptions {
  bool interactive = false;  // a terminal: print a prompt, do not echo lines
  // The console's time, which "wait 2h" moves forward; the real time when
  // not given.
  MovableClock* movable_clock = nullptr;
  // When given, runs the jobs that fell due, before each prompt and at the
  // end, so what a line scheduled for now (a nudge) shows before the next.
  std::function<void()> run_due_jobs;
  // Set (by a signal handler) to end the session as "quit" would; checked
  // before each line and when reading stops.
  const std::atomic<bool>* stop_requested = nullptr;
  // Called once just before the first line is read (where the caller lets
  // SIGINT and SIGTERM interrupt that read).
  std::function<void()> before_reading;
};

// Reads lines from `in` until end of input or "quit": a slash command, a
// button number ("7", or "[7]" as it is printed), "wait <time>", or text as
// a direct message to the bot.
// Each becomes an envelope handed to `dispatcher`, the same one Slack mode
// uses. Returns the exit code.
int run_console(Dispatcher& dispatcher, ConsoleWorkspace& workspace, std::istream& in,
                std::ostream& out, const ConsoleOptions& options);

}  // namespace ff
