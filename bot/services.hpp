#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "bot/clock.hpp"
#include "bot/initiative_settings.hpp"
#include "bot/prompts.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/store/stores.hpp"

namespace ff {

// The narrow interfaces a command handler may use. Handlers never see
// sockets, curl handles, SQL or threads.
struct Services {
  SlackApi& slack;
  const PromptLibrary& prompts;
  PromptPicker& picker;
  const Clock& clock;
  store::PersonalDataStore& personal_data;
  store::JobStore& jobs;
  store::FeedbackStore& feedback;
  store::DecisionStore& decisions;
  store::FiguresStore& figures;
  store::InitiativeStore& initiatives;
  store::ProfileStore& profiles;
  // Who may see everyone's figures (bot.admins).
  std::vector<std::string> admins;
  // The bot's own user id (auth.test), so nobody sends feedback to the bot.
  std::string bot_user_id;
  InitiativeSettings initiative_settings;

  // Every store interface served by one SqlStore; the plain settings start
  // empty and are filled in by the caller.
  static Services over(SlackApi& slack, const PromptLibrary& prompts, PromptPicker& picker,
                       const Clock& clock, store::SqlStore& store) {
    return Services{slack, prompts, picker, clock, store, store.jobs(), store,
                    store, store,   store,  store, {},    {},           {}};
  }

  bool is_admin(const std::string& user_id) const {
    return std::find(admins.begin(), admins.end(), user_id) != admins.end();
  }
};

}  // namespace ff
