#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bot/app/config.hpp"
#include "bot/prompts.hpp"
#include "bot/schedule/scheduler.hpp"
#include "bot/slack/dispatcher.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "bot/store/stores.hpp"

namespace ff {

// The bot in Slack mode: the one BotCore every mode shares, given Web API
// clients for both tokens and fed by the Socket Mode client. main() and the
// integration tests build the same object.
class SlackBot {
 public:
  // `clock` drives the scheduler and every handler; tests pass one they move.
  SlackBot(const Config& config, const PromptLibrary& library, store::SqlStore& store,
           const Clock& clock = SystemClock::instance());
  ~SlackBot();

  // auth.test with the bot token. An error message naming SLACK_BOT_TOKEN
  // when Slack refuses it; nullopt when it is accepted or Slack is unreachable
  // (the bot then starts anyway and keeps trying).
  std::optional<std::string> verify_bot_token();

  // Starts the ops listener when `[ops] listen` asks for one (throws
  // ops::ListenError when it cannot listen), takes up what an earlier run
  // left unfinished, then connects.
  void start();
  // Stops reading, lets envelopes in flight finish within `grace`, leaves
  // the rest in the inbox and closes. False when handlers were still
  // running at the end of the grace: the process should exit without
  // waiting for them (they stay unfinished in the inbox).
  bool shutdown(std::chrono::milliseconds grace);

  SocketModeClient& client();
  const Dispatcher& dispatcher() const;
  JobScheduler& scheduler();
  std::uint64_t unknown_requests() const;
  // The port the ops listener listens on; 0 when it is off.
  std::uint16_t ops_port() const;

  // What /healthz reports as wrong (empty when healthy), and /metrics.
  std::vector<std::string> health_problems();
  std::string metrics_text();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// Slack's answers that mean the token itself is refused; retrying cannot help.
bool is_token_refusal(const std::string& error);

}  // namespace ff
