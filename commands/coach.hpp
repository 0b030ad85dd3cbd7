#pragma once

#include "bot/router.hpp"
#include "bot/services.hpp"

namespace ff::commands {

// /coach [category|categories|help]: a coaching question instead of an answer.
void register_coach(EnvelopeRouter& router, Services& services);

// Action ids of the buttons on a question card.
inline constexpr const char* kCoachAnotherAction = "coach_another";

// The question card posted to a channel.
Message question_card(const Prompt& prompt, const PromptLibrary& library);

}  // namespace ff::commands
