#pragma once

#include "bot/router.hpp"
#include "bot/services.hpp"

namespace ff::commands {

// /initiative <title> [| description], list, done <id>, drop <id>; /endorse
// <id>; and the card's buttons. The card in the channel is kept current in
// place (chat.update) as people endorse and follow, and when it closes.
void register_initiative(EnvelopeRouter& router, Services& services);

inline constexpr const char* kEndorseAction = "initiative_endorse";
inline constexpr const char* kFollowAction = "initiative_follow";
inline constexpr const char* kInitiativeFeedbackAction = "initiative_feedback";
inline constexpr std::size_t kTitleLimit = 150;
inline constexpr std::size_t kDescriptionLimit = 1000;

}  // namespace ff::commands
