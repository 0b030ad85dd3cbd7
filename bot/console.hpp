#pragma once

#include <iosfwd>
#include <map>
#include <mutex>
#include <string>

#include "router.hpp"
#include "slack_api.hpp"

namespace ff {

// Console mode's stand-in for a Slack workspace: what the bot would send to
// Slack is printed as readable text, and buttons get numbers a person types.
class ConsoleWorkspace final : public SlackApi {
 public:
  static constexpr const char* kChannel = "C0CONSOLE";
  static constexpr const char* kChannelName = "general";
  static constexpr const char* kUser = "U0CONSOLE";
  static constexpr const char* kDirectMessage = "D0CONSOLE";

  explicit ConsoleWorkspace(std::ostream& out) : out_(out) {}

  ApiResult post_message(std::string_view channel, const Message& message) override;
  ApiResult post_ephemeral(std::string_view channel, std::string_view user,
                           const Message& message) override;
  ApiResult respond(std::string_view response_url, const Message& message) override;

  // Prints a message as it would appear in `where`, numbering its buttons.
  void render(const std::string& where, const Message& message);

  struct Button {
    std::string action_id;
    std::string block_id;
    std::string value;
    std::string channel;
    std::string response_url;
  };
  const Button* button(int number) const;

  std::string new_response_url(const std::string& channel);

 private:
  std::string channel_label(std::string_view channel) const;

  // The job scheduler prints from its own thread (a scheduled message).
  mutable std::recursive_mutex mutex_;
  std::ostream& out_;
  int next_button_ = 1;
  int next_response_url_ = 1;
  std::map<int, Button> buttons_;
  std::map<std::string, std::string, std::less<>> response_url_channels_;
};

// Reads lines from `in` until end of input or "quit": a slash command, a
// button number, or text as a direct message to the bot. Returns the exit code.
int run_console(const EnvelopeRouter& router, ConsoleWorkspace& workspace, std::istream& in,
                std::ostream& out, bool interactive);

}  // namespace ff
