#include "bot/schedule/platform_jobs.hpp"

#include <spdlog/spdlog.h>

namespace ff {
namespace {

store::TimePoint next_slot(store::TimePoint after, std::chrono::minutes every) {
  const auto since_epoch = after.time_since_epoch();
  const auto slots = std::chrono::duration_cast<std::chrono::minutes>(since_epoch) / every + 1;
  return store::TimePoint{} + slots * every;
}

void schedule_maintenance_at(store::JobStore& jobs, store::TimePoint due) {
  store::NewJob job;
  job.kind = kMaintenanceJob;
  job.due = due;
  // Late maintenance is harmless, and a skipped run would schedule no next
  // one: it runs however late it is found (after a suspended machine, say).
  job.grace = std::chrono::hours{24 * 365};
  job.delivery = store::JobDelivery::kAtLeastOnce;
  job.unique_key = std::string(kMaintenanceJob) + "@" + std::to_string(store::to_millis(due));
  jobs.schedule(job);
}

}  // namespace

store::NewJob post_message_job(const std::string& channel, const std::string& text,
                               store::TimePoint due, const std::string& subject_user) {
  store::NewJob job;
  job.kind = kPostMessageJob;
  job.payload = {{"channel", channel}, {"text", text}};
  job.due = due;
  job.delivery = store::JobDelivery::kAtMostOnce;
  job.subject_user = subject_user;
  return job;
}

void register_platform_jobs(JobScheduler& scheduler, SlackApi& slack, store::JobStore& jobs,
                            store::InboxStore& inbox, store::PromptHistoryStore& prompt_history,
                            store::ClaimStore& claims, const Clock& clock,
                            MaintenancePolicy policy) {
  scheduler.handle(kPostMessageJob, [&slack](const store::Job& job, JobControl& control) {
    const std::string channel = job.payload.value("channel", "");
    const std::string text = job.payload.value("text", "");
    if (channel.empty() || text.empty())
      return JobOutcome::failed("payload without channel or text");
    if (!control.begin_effect()) return JobOutcome::done();
    return outcome_of_post(slack.post_message(channel, Message::plain(text)), job);
  });

  scheduler.handle(kMaintenanceJob, [&jobs, &inbox, &prompt_history, &claims, &clock, policy](
                                        const store::Job&, JobControl&) {
    const auto now = clock.now();
    const auto envelopes = inbox.forget_finished_before(now - policy.dedupe_retention);
    const auto finished = jobs.purge_finished(now - policy.finished_job_retention);
    const auto draws = prompt_history.forget_draws_before(now - policy.prompt_history_retention);
    const auto old_claims = claims.forget_claims_before(now - policy.claim_retention);
    spdlog::debug(
        "maintenance: removed {} handled envelopes, {} finished jobs, {} old draws, {} old claims",
        envelopes, finished, draws, old_claims);
    schedule_maintenance_at(jobs, next_slot(now, policy.every));
    return JobOutcome::done();
  });
}

void schedule_maintenance(store::JobStore& jobs, const Clock& clock, MaintenancePolicy policy) {
  schedule_maintenance_at(jobs, next_slot(clock.now(), policy.every));
}

}  // namespace ff
