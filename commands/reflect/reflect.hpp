#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "bot/schedule/scheduler.hpp"
#include "bot/services.hpp"
#include "bot/slack/router.hpp"
#include "bot/store/stores.hpp"

namespace ff::commands {

// What the private coaching dialog keeps: the dialog under way (one per
// person, versioned), the reflections had, the jobs that pause a dialog
// left alone and ask how an action went, the time zones they are timed by,
// the initiatives a person could back, and the nudge a dialog answers.
struct ReflectServices : Services {
  store::DialogStore& dialogs;
  store::ReflectionStore& reflections;
  store::JobStore& jobs;
  store::ProfileStore& profiles;
  store::InitiativeStore& initiatives;
  store::NudgeLogStore& nudge_log;
};

// /reflect: a guided conversation in the person's DM with the bot, one
// question at a time, with back, skip, cancel, help and "where am I" in
// words and buttons, ending in a summary with the person's chosen action,
// Share to a channel (only after the press) and a reminder to look back on
// it; /reflect history and stats. Answers are theirs alone.
void register_reflect(EnvelopeRouter::Routes routes, const ReflectServices& services);

// The durable jobs: pausing a dialog left alone, and the follow-up.
void register_reflect_jobs(JobScheduler& scheduler, const ReflectServices& services);

// Starts the dialog that reflects on one question (a nudge's Reflect now),
// in the person's DM. Nullopt when no such flow is installed: the caller
// offers another way to answer.
std::optional<Reply> reflect_on_question(const ReflectServices& services,
                                         const std::string& user_id, const std::string& question,
                                         std::int64_t nudge_id);

// The reflections a person can start, each with its button: what `/reflect`
// alone shows, and App Home.
Message reflection_choices(const ReflectServices& services);

// The person's latest reflections, which and when ("*Close a gap* · Thursday
// 3 Dec, 17:00"), one a line, newest first; empty when they had none. Never
// what they wrote.
std::string latest_reflections(const ReflectServices& services, const std::string& user_id,
                               int count);

// "3 started, 2 completed, 1 left unfinished, 2 actions chosen, 1 of 2
// follow-ups answered", or "none yet".
std::string reflection_figures_in_words(const store::ReflectionFigures& figures);
// The span those figures cover, wherever they are shown: the last 90 days.
inline constexpr auto kReflectionFiguresSince = std::chrono::hours{24 * 90};

inline constexpr const char* kDialogExpiryJob = "reflect.expire";
inline constexpr const char* kFollowUpJob = "reflect.follow_up";
// The flow a nudge's Reflect now starts; its first step asks {question}.
inline constexpr const char* kQuestionFlow = "nudge";

}  // namespace ff::commands
