#pragma once

#include "bot/services.hpp"
#include "bot/slack/router.hpp"
#include "bot/store/stores.hpp"

namespace ff::commands {

// What /coach keeps: who drew which question (its figures), and the
// person's own data for `/coach my-data`.
struct CoachServices : Services {
  store::FiguresStore& figures;
  store::PersonalDataStore& personal_data;
  store::ClaimStore& claims;            // one discussion thread per card
  store::NudgeLogStore& nudges;         // the caller's own nudge figures
  store::ReflectionStore& reflections;  // and reflection counts, never their text
};

// /coach [category | me | @someone [context] | categories | stats | my-data |
// forget-me | help]: a coaching question instead of an answer.
void register_coach(EnvelopeRouter::Routes routes, const CoachServices& services);

// The person's figures (questions drawn, feedback, six-month test, nudges,
// reflections; counts only, never what anyone wrote), and for admins the
// team's and each person's: `/coach stats` and App Home.
std::vector<nlohmann::json> figures_blocks(const CoachServices& services,
                                           const std::string& user_id);

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
