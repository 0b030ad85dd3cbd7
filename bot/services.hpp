#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "bot/clock.hpp"
#include "bot/dialog_settings.hpp"
#include "bot/initiative_settings.hpp"
#include "bot/nudge_settings.hpp"
#include "bot/prompts.hpp"
#include "bot/slack/slack_api.hpp"

namespace ff {

// Who is who in the workspace. Filled in after start (the bot's id comes
// from auth.test), so features hold it by reference.
struct Roles {
  // Who may see everyone's figures (bot.admins).
  std::vector<std::string> admins;
  // The bot's own user id (auth.test), so nobody sends feedback to the bot.
  std::string bot_user_id;
};

// What every feature shares. Handlers never see sockets, curl handles, SQL
// or threads, and no store: each feature's own services (coach.hpp,
// nit.hpp, ...) add the stores that feature keeps its data in, and nothing
// else.
struct Services {
  SlackApi& slack;
  const PromptLibrary& prompts;
  PromptPicker& picker;
  const Clock& clock;
  const Roles& roles;
  InitiativeSettings initiative_settings;
  NudgeSettings nudge_settings;
  DialogSettings dialog_settings;

  bool is_admin(const std::string& user_id) const {
    return std::find(roles.admins.begin(), roles.admins.end(), user_id) != roles.admins.end();
  }
};

}  // namespace ff
