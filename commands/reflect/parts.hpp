#pragma once

// What the files of the coaching dialog share; internal to commands/reflect/.
// The conversation itself (conversation.cpp), its end and what follows it:
// summary, sharing, follow-up, history (ending.cpp), and /reflect
// (command.cpp). The state machine is dialog.hpp.

#include <optional>
#include <string>

#include "commands/reflect/dialog.hpp"
#include "commands/reflect/reflect.hpp"

namespace ff::commands::reflect {

using TimePoint = std::chrono::system_clock::time_point;

// Buttons. A dialog's buttons carry {"r": reflection, "s": step, "i": item}
// so that a press on an old question is recognised as such.
inline constexpr const char* kStartAction = "reflect_start";
inline constexpr const char* kChoiceAction = "reflect_choice";
inline constexpr const char* kBackAction = "reflect_back";
inline constexpr const char* kSkipAction = "reflect_skip";
inline constexpr const char* kDoneAction = "reflect_done";
inline constexpr const char* kCancelAction = "reflect_cancel";
inline constexpr const char* kHelpAction = "reflect_help";
inline constexpr const char* kResumeAction = "reflect_resume";
inline constexpr const char* kStartOverAction = "reflect_start_over";
inline constexpr const char* kLetGoAction = "reflect_let_go";
inline constexpr const char* kShareAction = "reflect_share";
inline constexpr const char* kShareModal = "reflect_share";
inline constexpr const char* kRemindAction = "reflect_remind";
inline constexpr const char* kOpenAction = "reflect_open";
inline constexpr const char* kFollowUpAction = "reflect_follow_up";
inline constexpr const char* kFollowUpWriteAction = "reflect_follow_up_write";
inline constexpr const char* kFollowUpModal = "reflect_follow_up";

Reply say(const std::string& text);

// Starts `flow` for the person in their DM. When a dialog is under way the
// person is asked whether to resume it or start over, unless
// `replace_existing`, which ends it first.
Reply start_dialog(const ReflectServices& services, const std::string& user_id, const Flow& flow,
                   const std::string& question, std::int64_t nudge_id, bool replace_existing);

// The dialog under way says where it is and offers Resume and Start over
// (with `wanted` the flow a Start over begins).
Message resume_offer(const DialogState& state, const std::string& wanted_flow);

// The person's dialog, if one is under way and its flow is still installed.
std::optional<DialogState> dialog_of(const ReflectServices& services, const std::string& user_id);

// The reflection as its author sees it: Block Kit, with the chosen action
// standing out; with Share and Remind me when `with_buttons`.
Message summary_message(const ReflectServices& services, const store::Reflection& reflection,
                        bool with_buttons);
// The same reflection as posted to a channel by its author's choice.
Message shared_message(const ReflectServices& services, const store::Reflection& reflection,
                       const std::string& note);

// "Close a gap", or the flow id when the flow is no longer installed.
std::string flow_title(const ReflectServices& services, const std::string& flow_id);

// Cancels the job that pauses the person's dialog when left alone.
void cancel_expiry(const ReflectServices& services, const std::string& user_id);

void register_conversation(EnvelopeRouter::Routes& routes, const ReflectServices& services);
void register_ending(EnvelopeRouter::Routes& routes, const ReflectServices& services);
JobOutcome expire_dialog(const ReflectServices& services, const store::Job& job,
                         JobControl& control);
JobOutcome ask_follow_up(const ReflectServices& services, const store::Job& job,
                         JobControl& control);

}  // namespace ff::commands::reflect
