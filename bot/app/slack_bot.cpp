#include "bot/app/slack_bot.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "bot/app/bot_core.hpp"
#include "bot/ops/ops_listener.hpp"
#include "bot/slack/web_api.hpp"

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
  options.rates.bulk_posts_per_minute = config.bulk_posts_per_minute;
  return options;
}

}  // namespace

struct SlackBot::Parts {
  Parts(const Config& config, const PromptLibrary& library, store::SqlStore& store,
        const Clock& clock)
      : bot_api(config.api_url, config.bot_token, clock, api_options(config)),
        app_api(config.api_url, config.app_token, clock, api_options(config)),
        slack(bot_api),
        core(config, library, store, slack, clock),
        client(
            config.socket_mode, [this] { return open_ticket(); }, core.dispatcher(), clock),
        ops_listen(config.ops_listen) {}

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

  WebApiClient bot_api;
  WebApiClient app_api;
  WebSlackApi slack;
  BotCore core;
  SocketModeClient client;
  std::string ops_listen;
  // Last, so it stops answering before the parts it reads go away.
  std::unique_ptr<ops::OpsListener> ops;
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
    parts_->core.roles().bot_user_id = who.body.value("user_id", "");
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
  if (!parts_->ops_listen.empty() && !parts_->ops) {
    ops::OpsSources sources;
    sources.problems = [this] { return health_problems(); };
    sources.ready = [this] { return parts_->client.stats().connections_opened > 0; };
    sources.metrics = [this] { return metrics_text(); };
    parts_->ops = std::make_unique<ops::OpsListener>(parts_->ops_listen, std::move(sources));
  }
  parts_->core.start();
  parts_->client.start();
}

std::vector<std::string> SlackBot::health_problems() {
  std::vector<std::string> problems;
  if (parts_->client.stats().live_connections == 0) {
    problems.push_back("slack: no live Socket Mode connection");
  }
  if (const auto store = parts_->core.store_problem()) problems.push_back("store: " + *store);
  return problems;
}

std::string SlackBot::metrics_text() {
  using Type = metrics::Exposition::Type;
  metrics::Exposition out;
  out.family("firstfollower_build_info", Type::kGauge, "Always 1; its labels say which build.");
  out.sample("firstfollower_build_info", {{"version", FIRSTFOLLOWER_VERSION}}, 1);
  metrics::registry().write(out);
  parts_->core.write_metrics(out);
  out.family("firstfollower_outgoing_queue_depth", Type::kGauge,
             "Web API calls waiting for their turn under the rate limits, by lane (people: "
             "replies and cards someone waits for; bulk: a fan-out of scheduled nudges).");
  out.sample("firstfollower_outgoing_queue_depth", {{"lane", "people"}},
             static_cast<double>(parts_->bot_api.waiting(Lane::kPeople)));
  out.sample("firstfollower_outgoing_queue_depth", {{"lane", "bulk"}},
             static_cast<double>(parts_->bot_api.waiting(Lane::kBulk)));
  const SocketModeStats socket = parts_->client.stats();
  out.family("firstfollower_socket_mode_connections_open", Type::kGauge,
             "Socket Mode connections that said hello and are live.");
  out.sample("firstfollower_socket_mode_connections_open", {},
             static_cast<double>(socket.live_connections));
  out.family("firstfollower_frames_refused_total", Type::kCounter,
             "Socket Mode frames not handled, by reason.");
  out.sample("firstfollower_frames_refused_total", {{"reason", "malformed"}},
             static_cast<double>(socket.malformed_frames));
  out.sample("firstfollower_frames_refused_total", {{"reason", "forged_id"}},
             static_cast<double>(socket.forged_ids));
  return out.text();
}

std::uint16_t SlackBot::ops_port() const {
  return parts_->ops ? parts_->ops->port() : 0;
}

bool SlackBot::shutdown(std::chrono::milliseconds grace) {
  // First, so jobs claimed and not started go to another instance now,
  // while this one finishes its envelopes.
  parts_->core.scheduler().request_stop();
  if (!parts_->client.shutdown(grace)) {
    parts_->core.stop_leaving_handlers();
    return false;
  }
  parts_->core.stop();
  return true;
}

SocketModeClient& SlackBot::client() {
  return parts_->client;
}
const Dispatcher& SlackBot::dispatcher() const {
  return parts_->core.dispatcher();
}
JobScheduler& SlackBot::scheduler() {
  return parts_->core.scheduler();
}
std::uint64_t SlackBot::unknown_requests() const {
  return parts_->core.router().unknown_count();
}

}  // namespace ff
