#pragma once

#include "bot/schedule/scheduler.hpp"
#include "bot/services.hpp"
#include "bot/slack/router.hpp"
#include "bot/store/stores.hpp"
#include "commands/reflect/reflect.hpp"

namespace ff::commands {

// What reflection nudges keep: each person's (or channel's) schedule, each
// nudge sent and what became of it, the durable jobs that send them, the
// time-zone cache, and a channel's leads (who may set its nudges).
struct NudgeServices : Services {
  store::NudgeScheduleStore& schedules;
  store::NudgeLogStore& log;
  store::JobStore& jobs;
  store::ProfileStore& profiles;
  store::InitiativeStore& initiatives;
  // Reflect now starts the coaching dialog on the nudge's question.
  ReflectServices reflect;
};

// /nudges: a reflection question by DM at the time a person chose, in their
// own time zone; set in plain words, paused, skipped, snoozed; a channel's
// recurring question; and the figures. The nudge's buttons and the
// reflection written in answer (a form, or a reply in its thread).
void register_nudges(EnvelopeRouter::Routes routes, const NudgeServices& services);

// The durable jobs that send them: one live job per schedule, which
// schedules the next as it sends, so the jobs table grows with people, not
// with time.
void register_nudge_jobs(JobScheduler& scheduler, const NudgeServices& services);

// What `/nudges` alone shows: the person's schedule in words, when the next
// one comes and the controls, or how to start. App Home shows the same.
Message your_nudges(const NudgeServices& services, const std::string& user_id);

// "8 nudges sent, 5 answered (63%), 1 snoozed, 1 skipped, 1 paused".
std::string nudge_figures_in_words(const store::NudgeFigures& figures);

inline constexpr const char* kNudgeJob = "nudge.send";
inline constexpr const char* kSnoozedNudgeJob = "nudge.snoozed";

}  // namespace ff::commands
