#pragma once

#include "bot/services.hpp"
#include "bot/slack/router.hpp"
#include "bot/store/stores.hpp"

namespace ff::commands {

// What /sixmonths keeps: each decision and its answer.
struct SixMonthsServices : Services {
  store::DecisionStore& decisions;
};

// /sixmonths <decision>: will it matter to you in six months? Yes: lead it,
// with the questions to lead with. No: follow whoever leads it, and back them
// early. Not sure: a question that helps decide. Each asking counts as one
// decision, however often its buttons are pressed; the last answer stands.
void register_sixmonths(EnvelopeRouter::Routes routes, const SixMonthsServices& services);

inline constexpr const char* kSixMonthsAnswerAction = "sixmonths_*";
inline constexpr std::size_t kDecisionLimit = 500;

}  // namespace ff::commands
