// Reminders to back an initiative, in each person's own working time, as durable jobs.
#include "bot/schedule/working_time.hpp"
#include "commands/initiative/parts.hpp"
#include "commands/people.hpp"

namespace ff::commands::initiative {

std::string reminder_prefix(std::int64_t id) {
  return "initiative:" + std::to_string(id) + ":remind:";
}

std::string time_zone_of(const InitiativeServices& services, const std::string& user) {
  return commands::time_zone_of(services, services.profiles, user).zone;
}

void schedule_reminders(const InitiativeServices& services, const store::Initiative& i,
                        const std::string& person) {
  const auto& settings = services.initiative_settings;
  const std::string zone = time_zone_of(services, person);
  for (std::size_t n = 0; n < settings.reminders_after.size(); ++n) {
    store::NewJob job;
    job.kind = kReminderJob;
    job.due =
        after_working_time(i.created_at, settings.reminders_after[n], zone, settings.working_hours);
    job.grace = std::chrono::hours{4};
    job.payload = {{"initiative", i.id},
                   {"to", person},
                   {"reminder", n + 1},
                   {"last", n + 1 == settings.reminders_after.size()}};
    job.unique_key = reminder_prefix(i.id) + person + ":" + std::to_string(n + 1);
    job.subject_user = person;
    services.jobs.schedule(job);
  }
}

}  // namespace ff::commands::initiative

namespace ff::commands {

using namespace initiative;

void register_initiative_jobs(JobScheduler& scheduler, const InitiativeServices& services) {
  scheduler.handle(kFirstNudgeJob, [services](const store::Job& job, JobControl& control) {
    return send_nudge(services, job, control, 0, false);
  });
  scheduler.handle(kReminderJob, [services](const store::Job& job, JobControl& control) {
    return send_nudge(services, job, control, job.payload.value("reminder", 1),
                      job.payload.value("last", true));
  });
  scheduler.handle(kClosedNoticeJob, [services](const store::Job& job, JobControl& control) {
    return send_closed_notice(services, job, control);
  });
}

}  // namespace ff::commands
