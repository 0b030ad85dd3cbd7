#pragma once

#include "bot/services.hpp"
#include "bot/slack/router.hpp"
#include "bot/store/stores.hpp"

#include <optional>
#include <string>

namespace ff::commands {

// What feedback keeps: the feedback given and how it was answered.
struct NitServices : Services {
  store::FeedbackStore& feedback;
};

// /nit @someone <feedback>, the "Give non-blocking feedback" message
// shortcut and its modal: feedback delivered by DM, framed so that the
// receiver decides; they acknowledge or ask to discuss, and the sender hears
// which.
void register_nit(EnvelopeRouter::Routes routes, const NitServices& services);

// Opens the feedback modal; `to` empty lets the person pick who it is for.
// `excerpt` is the message the feedback is about, if any.
ApiResult open_nit_modal(const NitServices& services, const std::string& trigger_id,
                         const std::string& to, const std::string& channel,
                         const std::string& excerpt);

struct FeedbackToSend {
  std::string from;
  std::string to;
  std::string channel;
  std::string text;
  bool non_blocking = true;
  std::string excerpt;  // what it is about (a message, an initiative), if anything
};

// Records the feedback and delivers it by DM with its answer buttons. A
// sentence for the sender when it could not be delivered.
std::optional<std::string> deliver_feedback(const NitServices& services,
                                            const FeedbackToSend& feedback);

// Nothing to say when the form opened; otherwise why not, and the way round.
Reply form_opened(const ApiResult& opened);

inline constexpr const char* kNitAcknowledgeAction = "nit_ack";
inline constexpr const char* kNitDiscussAction = "nit_discuss";
inline constexpr const char* kNitOpenAction = "nit_open";
inline constexpr const char* kNitShortcut = "nit_on_message";
inline constexpr const char* kNitModal = "nit_modal";
inline constexpr std::size_t kFeedbackLimit = 2000;

}  // namespace ff::commands
