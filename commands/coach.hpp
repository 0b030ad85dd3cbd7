#pragma once

#include "bot/services.hpp"
#include "bot/slack/router.hpp"

namespace ff::commands {

// /coach [category | me | @someone [context] | categories | stats | my-data |
// forget-me | help]: a coaching question instead of an answer.
void register_coach(EnvelopeRouter::Routes routes, Services& services);

// Action ids of the buttons on a question card.
inline constexpr const char* kCoachAnotherAction = "coach_another";
inline constexpr const char* kCoachDiscussAction = "coach_discuss";

// The most context `/coach @someone` carries along with the question.
inline constexpr std::size_t kContextLimit = 1000;

// Where a question card goes: a channel (with buttons), only the caller,
// or a colleague's DM.
enum class CardKind { kChannel, kPrivate, kSent };
Message question_card(const Prompt& prompt, const PromptLibrary& library, CardKind kind);

}  // namespace ff::commands
