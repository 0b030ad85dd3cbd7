#pragma once

// What the files of the nudges feature share; internal to commands/nudges/.
// Setting and showing schedules (schedule.cpp); sending nudges, their
// buttons and the reflections written in answer (delivery.cpp).

#include <optional>
#include <string>

#include "bot/schedule/recurrence.hpp"
#include "commands/nudges/nudges.hpp"

namespace ff::commands::nudges {

using TimePoint = std::chrono::system_clock::time_point;

inline constexpr const char* kPerson = "user";
inline constexpr const char* kChannel = "channel";

// The buttons on a nudge, and the controls under `/nudges`.
inline constexpr const char* kReflectAction = "nudge_reflect";
inline constexpr const char* kSnoozeAction = "nudge_snooze";
inline constexpr const char* kSkipAction = "nudge_skip";
inline constexpr const char* kPauseAction = "nudge_pause";
inline constexpr const char* kControlAction = "nudges_control";
inline constexpr const char* kReflectionModal = "nudge_reflection";

// How many of a person's latest nudges a new one never repeats.
inline constexpr int kRecentNotRepeated = 8;

Recurrence rule_of(const store::NudgeSchedule& schedule);

// What the jobs of a subject's nudges are keyed under: cancelling them all.
std::string key_prefix(const store::NudgeSchedule& schedule);

// The job that sends the subject's nudge at `due` (`once`: `/nudges now`,
// besides the series), made for the schedule as it is now: a later change
// makes it stale.
store::NewJob nudge_job(const NudgeServices& services, const store::NudgeSchedule& schedule,
                        TimePoint due, bool once);

// Cancels what is scheduled for the subject and schedules its next nudge
// after `after`; returns when that is, or nullopt when the rule has none.
std::optional<TimePoint> schedule_next(const NudgeServices& services,
                                       const store::NudgeSchedule& schedule, TimePoint after);

// A nudge for the subject at once (`/nudges now`), besides its schedule.
void schedule_now(const NudgeServices& services, const store::NudgeSchedule& schedule);

// "next: Friday 4 Dec, 16:00 your time" (or "… in this channel's time").
std::string next_in_words(const store::NudgeSchedule& schedule, std::optional<TimePoint> next);

// The schedule paused until `until` (its jobs rescheduled); the words saying so.
std::string pause(const NudgeServices& services, store::NudgeSchedule schedule, TimePoint until);

Reply say(const std::string& text);

// /nudges and the controls under it (schedule.cpp).
void register_schedule_routes(EnvelopeRouter::Routes& routes, const NudgeServices& services);

}  // namespace ff::commands::nudges
