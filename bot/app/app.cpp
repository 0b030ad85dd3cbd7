#include "bot/app/app.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <random>

#include <spdlog/spdlog.h>

#include "bot/app/slack_bot.hpp"
#include "bot/console/console.hpp"
#include "bot/prompts.hpp"
#include "bot/schedule/platform_jobs.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "bot/slack/web_api.hpp"
#include "bot/store/migrations.hpp"
#include "commands/commands.hpp"

namespace ff {
namespace {

std::uint64_t seed_of(const Config& config) {
  return config.random_seed != 0 ? config.random_seed : std::random_device{}();
}

store::DatabaseOptions database_options(const Config& config) {
  store::DatabaseOptions options;
  options.sqlite_synchronous = config.sqlite_synchronous;
  options.postgres_pool_size = config.postgres_pool_size;
  return options;
}

// Opens the database and applies pending migrations; nullptr after logging
// why it cannot be used.
std::unique_ptr<store::SqlStore> open_store(const Config& config) {
  try {
    auto opened =
        store::SqlStore::open(config.database, database_options(config), SystemClock::instance());
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
  bot.start();
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

  const auto store = open_store(config);
  if (!store) return kExitDatabase;
  if (!config.console) return run_slack(config, library, *store);

  // Console mode keeps its state in the same kind of store, and runs due
  // jobs too, so a scheduled message shows up in the terminal.
  const Clock& clock = SystemClock::instance();
  ConsoleWorkspace workspace(std::cout);
  PromptPicker picker(library, seed_of(config), *store, clock);
  Services services = Services::over(workspace, library, picker, clock, *store);
  services.admins = config.admins;
  // The person at the terminal runs this workspace: they are its admin.
  services.admins.push_back(ConsoleWorkspace::kUser);
  services.bot_user_id = ConsoleWorkspace::kBotUser;
  services.initiative_settings = config.initiatives;
  EnvelopeRouter router;
  commands::register_all(router, services);
  JobScheduler scheduler(store->jobs(), clock, SchedulerOptions{});
  commands::register_jobs(scheduler, services);
  register_platform_jobs(scheduler, workspace, store->jobs(), *store, *store, clock,
                         MaintenancePolicy{config.dedupe_retention});
  scheduler.start();
  const int exit_code =
      run_console(router, workspace, std::cin, std::cout, isatty(STDIN_FILENO) == 1,
                  [&scheduler] { scheduler.run_due(); });
  scheduler.stop();
  return exit_code;
}

int run_personal_data(const Config& config, PersonalDataAction action, const std::string& user_id,
                      std::ostream& out) {
  if (!mrkdwn::is_user_id(user_id)) {
    out << "firstfollower: '" << user_id
        << "' is not a Slack user id (it looks like U0123ABCD; find it in the person's Slack "
           "profile under \"Copy member ID\")\n";
    return kExitConfig;
  }
  const auto store = open_store(config);
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
      << library.categories().size() << " categories\n";
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
