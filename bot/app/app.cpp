#include "bot/app/app.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "bot/app/console_bot.hpp"
#include "bot/app/slack_bot.hpp"
#include "bot/ops/ops_listener.hpp"
#include "bot/prompts.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "bot/slack/web_api.hpp"
#include "bot/store/migrations.hpp"

namespace ff {
namespace {

// "gap, options, follow", the flows /reflect offers; "none" when there are none.
std::string flow_ids(const FlowLibrary& flows) {
  std::string ids;
  for (const Flow* flow : flows.listed()) ids += (ids.empty() ? "" : ", ") + flow->id;
  return ids.empty() ? "none" : ids;
}

store::DatabaseOptions database_options(const Config& config) {
  store::DatabaseOptions options;
  options.sqlite_synchronous = config.sqlite_synchronous;
  options.postgres_pool_size = config.postgres_pool_size;
  return options;
}

// Opens the database and applies pending migrations; nullptr after logging
// why it cannot be used.
std::unique_ptr<store::SqlStore> open_store(const Config& config, const Clock& clock) {
  try {
    auto opened = store::SqlStore::open(config.database, database_options(config), clock);
    spdlog::info("state in {}", opened->database().describe());
    return opened;
  } catch (const store::StoreError& error) {
    spdlog::critical("database: {}", error.what());
    return nullptr;
  }
}

int run_slack(const Config& config, const PromptLibrary& library, store::SqlStore& store) {
  init_http_library();
  SlackBot bot(config, library, store);
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
  try {
    bot.start();
  } catch (const ops::ListenError& refused) {
    spdlog::critical("ops.listen: {}", refused.what());
    return kExitConfig;
  }
  spdlog::info("connecting to Slack with {} connection(s)", config.socket_mode.connections);

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
  const bool all_finished =
      bot.shutdown(exit_code == kExitOk ? config.shutdown_grace : std::chrono::milliseconds{500});
  const auto& c = bot.dispatcher().counters();
  spdlog::info(
      "stopped: {} envelopes, {} redeliveries dropped, {} handled, {} taken up from the inbox, {} "
      "left in it, {} unknown",
      c.received.load(), c.duplicates.load(), c.handled.load(), c.taken_up.load(),
      c.left_in_inbox.load(), bot.unknown_requests());
  if (!all_finished) {
    // A handler stuck past the grace (a hung Web API call) must not hold the
    // stop: what it was doing stays unfinished in the inbox, and a
    // supervisor's SIGKILL would end it the same way, only later.
    spdlog::default_logger()->flush();
    std::_Exit(exit_code);
  }
  return exit_code;
}

std::atomic<bool> console_stop{false};

extern "C" void stop_console(int) {
  console_stop.store(true);
}

// In console mode SIGINT and SIGTERM end the session as "quit" does (exit
// 0, "Bye."). Only the thread reading the terminal takes them, and without
// SA_RESTART, so the read it waits in returns at once.
void end_console_on_signals(const sigset_t& signals) {
  struct sigaction action {};
  action.sa_handler = stop_console;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
}

}  // namespace

int run_bot(const Config& config) {
  // Block the signals before any thread exists so every thread inherits the
  // mask: Slack mode waits for them on this thread, and console mode lets
  // only the thread that reads the terminal take them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  PromptLibrary library;
  try {
    library = PromptLibrary::load(config.prompt_files);
  } catch (const PromptFileError& error) {
    spdlog::critical("prompt library: {}", error.what());
    return kExitConfig;
  }
  spdlog::info("{} coaching questions in {} categories; dialogs: {}", library.all().size(),
               library.categories().size(), flow_ids(library.flows()));

  if (!config.console) {
    const auto store = open_store(config, SystemClock::instance());
    if (!store) return kExitDatabase;
    return run_slack(config, library, *store);
  }
  // Console mode: the same bot over the same kind of store, with a clock the
  // person can move ("wait 1d") to see what is scheduled for later.
  MovableClock clock;
  const auto store = open_store(config, clock);
  if (!store) return kExitDatabase;
  ConsoleBot bot(config, library, *store, clock, std::cout);
  const bool interactive = isatty(STDIN_FILENO) == 1;
  return bot.run(std::cin, interactive, interactive, &console_stop,
                 [&signals] { end_console_on_signals(signals); });
}

int run_personal_data(const Config& config, PersonalDataAction action, const std::string& user_id,
                      std::ostream& out) {
  if (!mrkdwn::is_user_id(user_id)) {
    out << "firstfollower: '" << user_id
        << "' is not a Slack user id (it looks like U0123ABCD; find it in the person's Slack "
           "profile under \"Copy member ID\")\n";
    return kExitConfig;
  }
  const auto store = open_store(config, SystemClock::instance());
  if (!store) return kExitDatabase;
  try {
    if (action == PersonalDataAction::kExport) {
      out << store->export_user(user_id).dump(2) << "\n";
    } else {
      nlohmann::json removed = store->forget_user(user_id);
      out << nlohmann::json{{"user_id", user_id}, {"removed", removed}}.dump(2) << "\n";
    }
    return kExitOk;
  } catch (const store::StoreError& error) {
    spdlog::critical("database: {}", error.what());
    return kExitDatabase;
  }
}

int check_config(const Config& config, std::ostream& out) {
  PromptLibrary library;
  try {
    library = PromptLibrary::load(config.prompt_files);
  } catch (const PromptFileError& error) {
    out << "prompt library: " << error.what() << "\n";
    return kExitConfig;
  }
  out << config.describe() << "prompts: " << library.all().size() << " questions in "
      << library.categories().size() << " categories\n"
      << "dialogs: " << flow_ids(library.flows()) << "\n";
  // Looks at the database without upgrading it, and without creating it.
  try {
    if (const auto file = store::sqlite_file_of(config.database);
        file && !std::filesystem::exists(*file)) {
      out << "database: sqlite:" << *file
          << " does not exist yet; firstfollower creates it at start\n"
          << "configuration OK\n";
      return kExitOk;
    }
    auto options = database_options(config);
    options.read_only = true;
    const auto database = store::open_database(config.database, options);
    const int version = store::schema_version(*database);
    out << "database: " << database->describe() << ", schema version " << version
        << " (this build upgrades to " << store::latest_schema_version() << " at start)\n";
    if (version > store::latest_schema_version()) {
      out << "database: written by a newer firstfollower; this one would refuse it\n";
      return kExitDatabase;
    }
  } catch (const store::StoreError& error) {
    out << "database: " << error.what() << "\n";
    return kExitDatabase;
  }
  out << "configuration OK\n";
  return kExitOk;
}

}  // namespace ff
