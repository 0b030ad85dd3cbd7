#include "bot/app/bot_core.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "bot/schedule/platform_jobs.hpp"
#include "bot/slack/dedupe.hpp"
#include "bot/worker_pool.hpp"
#include "commands/commands.hpp"

namespace ff {
namespace {

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

std::uint64_t seed_of(const Config& config) {
  return config.random_seed != 0 ? config.random_seed : std::random_device{}();
}

}  // namespace

struct BotCore::Parts {
  Parts(const Config& config, const PromptLibrary& library, store::SqlStore& store, SlackApi& slack,
        const Clock& clock)
      : clock(clock),
        store(store),
        picker(library, seed_of(config), store, clock),
        services{slack, library, picker, clock, roles, config.initiatives},
        recent_ids(clock, std::chrono::minutes{15}, 100'000),
        durable_ids(store),
        dedupe(recent_ids, durable_ids),
        scheduler(store.jobs(), clock, scheduler_options(config)),
        maintenance{config.dedupe_retention},
        workers(static_cast<std::size_t>(config.workers)),
        dispatcher(router, slack, dedupe, workers) {
    roles.admins = config.admins;
    const auto stores = commands::FeatureStores::over(store);
    commands::register_all(router, services, stores);
    commands::register_jobs(scheduler, services, stores);
    register_platform_jobs(scheduler, slack, store.jobs(), store, store, clock, maintenance);
  }

  const Clock& clock;
  store::SqlStore& store;
  PromptPicker picker;
  Roles roles;
  Services services;
  EnvelopeRouter router;
  RecentIds recent_ids;
  DurableIds durable_ids;
  LayeredDedupe dedupe;
  JobScheduler scheduler;
  MaintenancePolicy maintenance;
  WorkerPool workers;
  Dispatcher dispatcher;
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
  if (background_scheduler) parts_->scheduler.start();
}

void BotCore::stop() {
  parts_->scheduler.stop();
  parts_->workers.shutdown();
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

}  // namespace ff
