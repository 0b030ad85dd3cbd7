#pragma once

#include "bot/schedule/scheduler.hpp"
#include "bot/services.hpp"
#include "bot/slack/router.hpp"
#include "bot/store/stores.hpp"
#include "commands/nit.hpp"

namespace ff::commands {

// What initiatives keep: the initiatives and their backers, the reminder
// jobs, the time zones reminders are timed by, and the feedback given from
// a card (delivered as /nit delivers it).
struct InitiativeServices : Services {
  store::InitiativeStore& initiatives;
  store::JobStore& jobs;
  store::ProfileStore& profiles;
  store::FeedbackStore& feedback;

  NitServices feedback_services() const { return {*this, feedback}; }
};

// /initiative <title> [| description], list, done <id>, drop <id>; /endorse
// <id>; and the card's buttons. The card in the channel is kept current in
// place (chat.update) as people endorse and follow, and when it closes.
void register_initiative(EnvelopeRouter::Routes routes, const InitiativeServices& services);

// The DM that asks `to` to back an initiative, with Endorse, Endorse with
// a nit and Not now: what a manager is nudged with, and what a coaching
// dialog offers.
Message endorsement_request(const store::Initiative& initiative, const std::string& to);

// Endorse, Endorse with a nit and Not now for `to`, in one actions block:
// on the nudge, and on App Home (`block_id` tells them apart in one view).
nlohmann::json endorsement_buttons(const store::Initiative& initiative, const std::string& to,
                                   std::string_view block_id);

// The durable job kind of a reminder to back an initiative.
void register_initiative_jobs(JobScheduler& scheduler, const InitiativeServices& services);

inline constexpr const char* kEndorseAction = "initiative_endorse";
inline constexpr const char* kNudgeEndorseAction = "nudge_endorse";
inline constexpr const char* kNudgeNitAction = "nudge_endorse_nit";
inline constexpr const char* kNudgeNotNowAction = "nudge_not_now";
inline constexpr const char* kNudgeNitModal = "nudge_nit_modal";
inline constexpr const char* kReminderJob = "initiative.reminder";
inline constexpr const char* kFirstNudgeJob = "initiative.nudge";
inline constexpr const char* kFollowAction = "initiative_follow";
inline constexpr const char* kInitiativeFeedbackAction = "initiative_feedback";
inline constexpr const char* kUnfollowAction = "initiative_unfollow";
inline constexpr const char* kDraftPostAction = "initiative_draft_post";
inline constexpr const char* kDraftEditAction = "initiative_draft_edit";
inline constexpr const char* kDraftCancelAction = "initiative_draft_cancel";
inline constexpr const char* kInitiativeEditModal = "initiative_edit";
inline constexpr const char* kClosedNoticeJob = "initiative.closed";
// Done and Drop, on the owner's App Home.
inline constexpr const char* kDoneAction = "initiative_done";
inline constexpr const char* kDropAction = "initiative_drop";
inline constexpr std::size_t kTitleLimit = 150;
inline constexpr std::size_t kDescriptionLimit = 1000;

}  // namespace ff::commands
