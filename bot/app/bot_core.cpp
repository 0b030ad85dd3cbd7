#include "bot/app/bot_core.hpp"

#include <algorithm>
#include <mutex>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "bot/inbox/durable_inbox.hpp"
#include "bot/instance.hpp"
#include "bot/schedule/platform_jobs.hpp"
#include "bot/slack/dedupe.hpp"
#include "bot/worker_pool.hpp"
#include "commands/commands.hpp"

namespace ff {
namespace {

SchedulerOptions scheduler_options(const Config& config, const std::string& instance) {
  SchedulerOptions options;
  options.poll_interval = config.scheduler_poll_interval;
  options.lease = config.scheduler_lease;
  options.owner = instance;
  // About a second of bulk posts per batch.
  options.bulk_batch_size = std::clamp(config.bulk_posts_per_minute / 60, 1, options.batch_size);
  return options;
}

DurableInboxOptions inbox_options(const Config& config, const std::string& instance,
                                  store::Dialect dialect) {
  DurableInboxOptions options;
  options.owner = instance;
  options.lease = config.scheduler_lease;
  options.alone_on_database = dialect == store::Dialect::kSqlite;
  return options;
}

std::uint64_t seed_of(const Config& config) {
  return config.random_seed != 0 ? config.random_seed : std::random_device{}();
}

}  // namespace

struct BotCore::Parts {
  Parts(const Config& config, const PromptLibrary& library, store::SqlStore& store, SlackApi& slack,
        const Clock& clock)
      : clock(clock),
        store(store),
        instance(made_up_instance_name()),
        picker(library, seed_of(config), store, clock),
        services{slack,         library,        picker,      clock, roles, config.initiatives,
                 config.nudges, config.dialogs, home_refresh},
        memory_inbox(clock, std::chrono::minutes{15}, 100'000),
        inbox(store, memory_inbox, clock,
              inbox_options(config, instance, store.database().dialect())),
        scheduler(store.jobs(), clock, scheduler_options(config, instance)),
        maintenance{config.dedupe_retention},
        workers(static_cast<std::size_t>(config.workers)),
        dispatcher(router, slack, inbox, workers) {
    roles.admins = config.admins;
    const auto stores = commands::FeatureStores::over(store);
    commands::register_all(router, services, stores);
    home_refresh.set_publisher([this, publish = commands::home_publisher(services, stores)](
                                   const std::string& user) { refresh_home_later(user, publish); });
    commands::register_jobs(scheduler, services, stores);
    register_platform_jobs(scheduler, slack, store.jobs(), store, store, store, clock, maintenance);
  }

  // A Home is published on a worker after the change that asked for it,
  // not inside that handler (its ack waits for nobody's views.publish), and
  // one person's refreshes still queued are one: ten endorsements in a
  // second publish their Home once or twice, not ten times.
  void refresh_home_later(const std::string& user, const HomeRefresh::Publisher& publish) {
    {
      std::lock_guard lock(homes_mutex);
      if (!homes_queued.insert(user).second) return;
    }
    workers.post("home:" + user, [this, user, publish] {
      {
        std::lock_guard lock(homes_mutex);
        homes_queued.erase(user);
      }
      try {
        publish(user);
      } catch (const std::exception& error) {
        spdlog::warn("could not refresh a person's App Home: {}", error.what());
      }
    });
  }

  const Clock& clock;
  store::SqlStore& store;
  // This process's name in the jobs and inbox tables.
  const std::string instance;
  PromptPicker picker;
  Roles roles;
  HomeRefresh home_refresh;
  Services services;
  EnvelopeRouter router;
  MemoryInbox memory_inbox;
  DurableInbox inbox;
  JobScheduler scheduler;
  MaintenancePolicy maintenance;
  WorkerPool workers;
  Dispatcher dispatcher;

  std::mutex homes_mutex;
  std::set<std::string> homes_queued;

  std::mutex activity_mutex;
  store::ActivityCounts activity;
  std::optional<std::chrono::steady_clock::time_point> activity_read_at;
};

BotCore::BotCore(const Config& config, const PromptLibrary& library, store::SqlStore& store,
                 SlackApi& slack, const Clock& clock)
    : parts_(std::make_unique<Parts>(config, library, store, slack, clock)) {}

BotCore::~BotCore() {
  stop();
}

void BotCore::start(bool background_scheduler) {
  try {
    schedule_maintenance(parts_->store.jobs(), parts_->clock, parts_->maintenance);
  } catch (const store::StoreError& error) {
    // The maintenance job itself schedules the next one; the first is
    // scheduled at the next start when the database is away now.
    spdlog::warn("could not schedule maintenance yet: {}", error.what());
  }
  // Before any envelope arrives: what an earlier run left unfinished is
  // handled first, in the order it arrived.
  Dispatcher& dispatcher = parts_->dispatcher;
  parts_->inbox.start(
      [&dispatcher](UnfinishedEnvelope unfinished) { dispatcher.resume(std::move(unfinished)); });
  if (background_scheduler) parts_->scheduler.start();
}

void BotCore::stop() {
  parts_->scheduler.stop();
  parts_->workers.shutdown();
  // After the workers: the envelopes they finished are written as done.
  parts_->inbox.stop();
}

void BotCore::stop_leaving_handlers() {
  parts_->scheduler.stop();
  parts_->inbox.stop();
}

Roles& BotCore::roles() {
  return parts_->roles;
}
Dispatcher& BotCore::dispatcher() {
  return parts_->dispatcher;
}
const Dispatcher& BotCore::dispatcher() const {
  return parts_->dispatcher;
}
JobScheduler& BotCore::scheduler() {
  return parts_->scheduler;
}
const EnvelopeRouter& BotCore::router() const {
  return parts_->router;
}

void BotCore::write_metrics(metrics::Exposition& out) {
  using Type = metrics::Exposition::Type;
  const auto counter = [&out](const char* name, const char* help, std::uint64_t value) {
    out.family(name, Type::kCounter, help);
    out.sample(name, {}, static_cast<double>(value));
  };
  const auto& d = parts_->dispatcher.counters();
  counter("firstfollower_duplicates_dropped_total",
          "Redeliveries of envelopes already in the inbox, acked and dropped.",
          d.duplicates.load());
  counter("firstfollower_envelopes_taken_up_total",
          "Envelopes left unfinished (by a stop or a crash) and handled later.", d.taken_up.load());
  const auto& inbox = parts_->inbox.counters();
  counter("firstfollower_inbox_batches_total",
          "Transactions that wrote arrived and finished envelopes together.", inbox.batches.load());
  out.family("firstfollower_store_errors_total", Type::kCounter,
             "Times the database failed a part of the bot, by part.");
  out.sample("firstfollower_store_errors_total", {{"part", "inbox"}},
             static_cast<double>(inbox.store_failures.load()));
  out.sample("firstfollower_store_errors_total", {{"part", "scheduler"}},
             static_cast<double>(parts_->scheduler.counters().store_errors.load()));
  out.family("firstfollower_handler_queue_depth", Type::kGauge,
             "Envelopes and jobs waiting for a worker thread.");
  out.sample("firstfollower_handler_queue_depth", {},
             static_cast<double>(parts_->workers.queued()));

  store::ActivityCounts activity;
  {
    std::lock_guard lock(parts_->activity_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (!parts_->activity_read_at || now - *parts_->activity_read_at > std::chrono::seconds{10}) {
      try {
        parts_->activity = parts_->store.activity_counts(parts_->clock.now());
      } catch (const store::StoreError& error) {
        spdlog::debug("metrics: could not count what is under way: {}", error.what());
      }
      parts_->activity_read_at = now;
    }
    activity = parts_->activity;
  }
  out.family("firstfollower_nudge_schedules_active", Type::kGauge,
             "People and channels with reflection nudges set and not paused.");
  out.sample("firstfollower_nudge_schedules_active", {},
             static_cast<double>(activity.nudge_schedules));
  out.family("firstfollower_dialogs_active", Type::kGauge, "Coaching dialogs under way.");
  out.sample("firstfollower_dialogs_active", {}, static_cast<double>(activity.dialogs));
}

std::optional<std::string> BotCore::store_problem() {
  try {
    parts_->store.database().read(
        [](store::SqlSession& s) { return s.run("SELECT 1").rows.size(); });
    return std::nullopt;
  } catch (const std::exception& error) {
    return std::string(error.what());
  }
}

}  // namespace ff
