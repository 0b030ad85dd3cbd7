#include "app.hpp"

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <random>

#include <spdlog/spdlog.h>

#include "commands/commands.hpp"
#include "console.hpp"
#include "prompts.hpp"
#include "slack_bot.hpp"
#include "web_api.hpp"

namespace ff {
namespace {

std::uint64_t seed_of(const Config& config) {
  return config.random_seed != 0 ? config.random_seed : std::random_device{}();
}

int run_slack(const Config& config, const PromptLibrary& library) {
  init_http_library();
  SlackBot bot(config, library);
  // A refused bot token is found at start, not at the first slash command.
  if (const auto refused = bot.verify_bot_token()) {
    spdlog::critical("{}", *refused);
    return kExitConfig;
  }

  // Signals are taken synchronously by this thread; run_bot blocked them
  // before any other thread started, so none of those is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  bot.start();
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
    const ClientOutcome outcome = bot.client().outcome();
    if (outcome == ClientOutcome::kLinkDisabled || outcome == ClientOutcome::kAuthFailed) {
      spdlog::critical("{}", bot.client().outcome_message());
      exit_code = outcome == ClientOutcome::kLinkDisabled ? kExitLinkDisabled : kExitConfig;
      break;
    }
  }
  bot.shutdown(exit_code == kExitOk ? config.shutdown_grace : std::chrono::milliseconds{500});
  const auto& c = bot.dispatcher().counters();
  spdlog::info("stopped: {} envelopes, {} duplicates dropped, {} handled, {} unknown",
               c.received.load(), c.duplicates.load(), c.handled.load(), bot.unknown_requests());
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
  spdlog::info("{} coaching questions in {} categories", library.all().size(),
               library.categories().size());

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
