#include "app.hpp"

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "commands/commands.hpp"
#include "console.hpp"
#include "dedupe.hpp"
#include "dispatcher.hpp"
#include "prompts.hpp"
#include "socket_mode_client.hpp"
#include "web_api.hpp"
#include "worker_pool.hpp"

namespace ff {
namespace {

// Slack's answers that mean the token itself is refused; retrying cannot help.
bool is_token_refusal(const std::string& error) {
  static const std::set<std::string> refusals = {"invalid_auth",   "not_authed",
                                                 "token_revoked",  "token_expired",
                                                 "account_inactive", "not_allowed_token_type",
                                                 "missing_scope"};
  return refusals.count(error) > 0;
}

std::uint64_t seed_of(const Config& config) {
  return config.random_seed != 0 ? config.random_seed : std::random_device{}();
}

int run_slack(const Config& config, const PromptLibrary& library) {
  init_http_library();
  WebApiOptions api_options;
  api_options.timeout = config.api_timeout;
  WebApiClient bot_api(config.api_url, config.bot_token, SystemClock::instance(), api_options);
  WebApiClient app_api(config.api_url, config.app_token, SystemClock::instance(), api_options);

  // A refused bot token is found at start, not at the first slash command.
  if (const ApiResult who = bot_api.call("auth.test", nlohmann::json::object()); !who.ok) {
    if (is_token_refusal(who.error)) {
      spdlog::critical("SLACK_BOT_TOKEN was refused by Slack ({}). Copy the Bot User OAuth Token "
                       "(xoxb-…) from the app's OAuth & Permissions page.", who.error);
      return kExitConfig;
    }
    spdlog::warn("auth.test failed ({}); going on, the Web API may be unreachable", who.error);
  } else {
    spdlog::info("bot user {} in team {}", who.body.value("user_id", "?"), who.body.value("team_id", "?"));
  }

  WebSlackApi slack(bot_api);
  PromptPicker picker(library, seed_of(config));
  Services services{slack, library, picker, SystemClock::instance()};
  EnvelopeRouter router;
  commands::register_all(router, services);

  RecentIds dedupe(SystemClock::instance(), std::chrono::hours{2}, 200'000);
  WorkerPool workers(static_cast<std::size_t>(config.workers));
  Dispatcher dispatcher(router, slack, dedupe, workers);

  TicketSource tickets = [&app_api]() {
    ConnectionTicket ticket;
    const ApiResult result = app_api.call("apps.connections.open", nlohmann::json::object());
    if (result.ok) {
      ticket.url = result.body.value("url", "");
      if (ticket.url.empty()) ticket.error = "answer without url";
      return ticket;
    }
    ticket.error = result.error;
    if (is_token_refusal(result.error)) {
      ticket.fatal = true;
      ticket.error = "SLACK_APP_TOKEN was refused by Slack (" + result.error +
                     "). Create an app-level token (xapp-…) with the connections:write scope "
                     "under Basic Information → App-Level Tokens.";
    }
    return ticket;
  };

  SocketModeOptions options;
  options.connections = config.connections;
  options.ack_deadline = config.ack_deadline;
  options.ping_interval = config.ping_interval;
  options.pong_timeout = config.pong_timeout;
  options.reconnect_min = config.reconnect_min;
  options.reconnect_max = config.reconnect_max;
  options.refresh_drain = config.refresh_drain;
  SocketModeClient client(options, tickets, dispatcher);

  // Signals are taken synchronously by this thread; every other thread is
  // started after they are blocked, so none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  client.start();
  spdlog::info("connecting to Slack with {} connection(s)", config.connections);

  int exit_code = kExitOk;
  for (;;) {
    timespec tick{0, 100'000'000};
    const int signal_number = sigtimedwait(&signals, nullptr, &tick);
    if (signal_number == SIGINT || signal_number == SIGTERM) {
      spdlog::info("{} received: finishing envelopes in flight, then closing",
                   signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    const ClientOutcome outcome = client.outcome();
    if (outcome == ClientOutcome::kLinkDisabled) {
      spdlog::critical("{}", client.outcome_message());
      exit_code = kExitLinkDisabled;
      break;
    }
    if (outcome == ClientOutcome::kAuthFailed) {
      spdlog::critical("{}", client.outcome_message());
      exit_code = kExitConfig;
      break;
    }
  }
  client.shutdown(exit_code == kExitOk ? config.shutdown_grace : std::chrono::milliseconds{500});
  workers.shutdown();
  const auto& c = dispatcher.counters();
  spdlog::info("stopped: {} envelopes, {} duplicates dropped, {} handled, {} unknown", c.received.load(),
               c.duplicates.load(), c.handled.load(), router.unknown_count());
  return exit_code;
}

}  // namespace

int run_bot(const Config& config) {
  // Block the signals before any thread exists so every thread inherits the
  // mask; console mode restores the default handling.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (!config.console) pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  PromptLibrary library;
  try {
    library = PromptLibrary::load(config.prompt_files);
  } catch (const PromptFileError& error) {
    spdlog::critical("prompt library: {}", error.what());
    return kExitConfig;
  }
  spdlog::info("{} coaching questions in {} categories", library.all().size(), library.categories().size());

  if (!config.console) return run_slack(config, library);

  ConsoleWorkspace workspace(std::cout);
  PromptPicker picker(library, seed_of(config));
  Services services{workspace, library, picker, SystemClock::instance()};
  EnvelopeRouter router;
  commands::register_all(router, services);
  return run_console(router, workspace, std::cin, std::cout, isatty(STDIN_FILENO) == 1);
}

int check_config(const Config& config, std::ostream& out) {
  try {
    const PromptLibrary library = PromptLibrary::load(config.prompt_files);
    out << config.describe() << "prompts: " << library.all().size() << " questions in "
        << library.categories().size() << " categories\n"
        << "configuration OK\n";
    return kExitOk;
  } catch (const PromptFileError& error) {
    out << "prompt library: " << error.what() << "\n";
    return kExitConfig;
  }
}

}  // namespace ff
