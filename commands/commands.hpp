#pragma once

#include "bot/schedule/scheduler.hpp"
#include "bot/services.hpp"
#include "bot/slack/router.hpp"
#include "bot/store/stores.hpp"

namespace ff::commands {

// Every store a feature may keep its data in; each feature is handed only
// its own (see register_all).
struct FeatureStores {
  store::FiguresStore& figures;
  store::PersonalDataStore& personal_data;
  store::FeedbackStore& feedback;
  store::DecisionStore& decisions;
  store::ClaimStore& claims;
  store::NudgeScheduleStore& nudge_schedules;
  store::NudgeLogStore& nudge_log;
  store::InitiativeStore& initiatives;
  store::JobStore& jobs;
  store::ProfileStore& profiles;
  store::DialogStore& dialogs;
  store::ReflectionStore& reflections;

  // All of them served by one database.
  static FeatureStores over(store::SqlStore& store) {
    return {store, store, store,        store, store, store,
            store, store, store.jobs(), store, store, store};
  }
};

// Registers every feature's listeners: the product's table of contents, and
// the one place that decides which feature may touch which store.
void register_all(EnvelopeRouter& router, const Services& services, const FeatureStores& stores);

// Publishes a person's App Home as it stands: what Services::home calls
// when a feature changed something on it.
HomeRefresh::Publisher home_publisher(const Services& services, const FeatureStores& stores);

// Registers the features' durable job kinds (reminders) with the scheduler.
void register_jobs(JobScheduler& scheduler, const Services& services, const FeatureStores& stores);

}  // namespace ff::commands
