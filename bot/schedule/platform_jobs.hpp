#pragma once

#include <chrono>
#include <string>

#include "bot/clock.hpp"
#include "bot/schedule/scheduler.hpp"
#include "bot/slack/blocks.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/store/stores.hpp"

namespace ff {

// A message posted later: a reminder, a nudge. At most once: a message that
// may or may not have reached Slack when the bot died is not sent again.
inline constexpr const char* kPostMessageJob = "message.post";
// Expires old dedupe ids, finished jobs and prompt history, once an hour.
inline constexpr const char* kMaintenanceJob = "store.maintenance";

struct MaintenancePolicy {
  std::chrono::minutes dedupe_retention{60};
  std::chrono::hours finished_job_retention{24 * 30};
  std::chrono::hours prompt_history_retention{24 * 90};
  // A card's "Discuss in a thread" opens one thread while the claim lasts.
  std::chrono::hours claim_retention{24 * 90};
  std::chrono::minutes every{60};
};

// `text` is mrkdwn the caller has already escaped.
store::NewJob post_message_job(const std::string& channel, const std::string& text,
                               store::TimePoint due, const std::string& subject_user = {});

void register_platform_jobs(JobScheduler& scheduler, SlackApi& slack, store::JobStore& jobs,
                            store::InboxStore& inbox, store::PromptHistoryStore& prompt_history,
                            store::ClaimStore& claims, const Clock& clock,
                            MaintenancePolicy policy);

// Makes sure the next maintenance run is scheduled. Runs are aligned to
// whole periods and keyed by their time, so instances starting together
// schedule the same run once.
void schedule_maintenance(store::JobStore& jobs, const Clock& clock, MaintenancePolicy policy);

}  // namespace ff
