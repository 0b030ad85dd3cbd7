#include "bot/app/slack_bot.hpp"

#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "bot/schedule/platform_jobs.hpp"
#include "bot/slack/dedupe.hpp"
#include "bot/slack/router.hpp"
#include "bot/slack/web_api.hpp"
#include "bot/worker_pool.hpp"
#include "commands/commands.hpp"

namespace ff {

bool is_token_refusal(const std::string& error) {
  static const std::set<std::string> refusals = {"invalid_auth",     "not_authed",
                                                 "token_revoked",    "token_expired",
                                                 "account_inactive", "not_allowed_token_type"};
  return refusals.count(error) > 0;
}

namespace {

WebApiOptions api_options(const Config& config) {
  WebApiOptions options;
  options.timeout = config.api_timeout;
  return options;
}

SchedulerOptions scheduler_options(const Config& config) {
  SchedulerOptions options;
  options.poll_interval = config.scheduler_poll_interval;
  options.lease = config.scheduler_lease;
  return options;
}

// The shared processed-id table as the durable layer of dedupe.
class DurableIds final : public DedupeStore {
 public:
  explicit DurableIds(store::ProcessedIdStore& ids) : ids_(ids) {}
  bool first_time(std::string_view key) override { return ids_.first_time(key); }

 private:
  store::ProcessedIdStore& ids_;
};

}  // namespace

struct SlackBot::Parts {
  Parts(const Config& config, const PromptLibrary& library, store::SqlStore& store,
        const Clock& clock)
      : clock(clock),
        bot_api(config.api_url, config.bot_token, clock, api_options(config)),
        app_api(config.api_url, config.app_token, clock, api_options(config)),
        slack(bot_api),
        store(store),
        picker(library, config.random_seed != 0 ? config.random_seed : std::random_device{}(),
               store, clock),
        services(Services::over(slack, library, picker, clock, store)),
        recent_ids(clock, std::chrono::minutes{15}, 100'000),
        durable_ids(store),
        dedupe(recent_ids, durable_ids),
        scheduler(store.jobs(), clock, scheduler_options(config)),
        maintenance{config.dedupe_retention},
        workers(static_cast<std::size_t>(config.workers)),
        dispatcher(router, slack, dedupe, workers),
        client(
            config.socket_mode, [this] { return open_ticket(); }, dispatcher) {
    services.admins = config.admins;
    services.initiative_settings = config.initiatives;
    commands::register_all(router, services);
    commands::register_jobs(scheduler, services);
    register_platform_jobs(scheduler, slack, store.jobs(), store, store, clock, maintenance);
  }

  ConnectionTicket open_ticket() {
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
  }

  const Clock& clock;
  WebApiClient bot_api;
  WebApiClient app_api;
  WebSlackApi slack;
  store::SqlStore& store;
  PromptPicker picker;
  Services services;
  EnvelopeRouter router;
  RecentIds recent_ids;
  DurableIds durable_ids;
  LayeredDedupe dedupe;
  JobScheduler scheduler;
  MaintenancePolicy maintenance;
  WorkerPool workers;
  Dispatcher dispatcher;
  SocketModeClient client;
};

SlackBot::SlackBot(const Config& config, const PromptLibrary& library, store::SqlStore& store,
                   const Clock& clock)
    : parts_(std::make_unique<Parts>(config, library, store, clock)) {}

SlackBot::~SlackBot() {
  shutdown(std::chrono::milliseconds{0});
}

std::optional<std::string> SlackBot::verify_bot_token() {
  const ApiResult who = parts_->bot_api.call("auth.test", nlohmann::json::object());
  if (who.ok) {
    parts_->services.bot_user_id = who.body.value("user_id", "");
    spdlog::info("bot user {} in team {}", who.body.value("user_id", "?"),
                 who.body.value("team_id", "?"));
    return std::nullopt;
  }
  if (is_token_refusal(who.error)) {
    return "SLACK_BOT_TOKEN was refused by Slack (" + who.error +
           "). Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page.";
  }
  spdlog::warn("auth.test failed ({}); starting anyway, the Web API may be unreachable", who.error);
  return std::nullopt;
}

void SlackBot::start() {
  parts_->client.start();
  try {
    schedule_maintenance(parts_->store.jobs(), parts_->clock, parts_->maintenance);
  } catch (const store::StoreError& error) {
    spdlog::warn("could not schedule maintenance yet: {}", error.what());
  }
  parts_->scheduler.start();
}

void SlackBot::shutdown(std::chrono::milliseconds grace) {
  parts_->client.shutdown(grace);
  parts_->scheduler.stop();
  parts_->workers.shutdown();
}

SocketModeClient& SlackBot::client() {
  return parts_->client;
}
const Dispatcher& SlackBot::dispatcher() const {
  return parts_->dispatcher;
}
JobScheduler& SlackBot::scheduler() {
  return parts_->scheduler;
}
std::uint64_t SlackBot::unknown_requests() const {
  return parts_->router.unknown_count();
}

}  // namespace ff
