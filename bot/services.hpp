#pragma once

#include <algorithm>
#include <functional>
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

// Told when something on a person's App Home changed (an initiative waits
// for them, someone backed theirs, their nudges moved), so the Home is
// published again. Features only say who; the Home feature (commands/home)
// is the publisher, set once the features are registered.
class HomeRefresh {
 public:
  using Publisher = std::function<void(const std::string& user_id)>;
  void changed(const std::string& user_id) const {
    if (publish_) publish_(user_id);
  }
  void set_publisher(Publisher publish) { publish_ = std::move(publish); }

 private:
  Publisher publish_;
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
  const HomeRefresh& home;

  bool is_admin(const std::string& user_id) const {
    return std::find(roles.admins.begin(), roles.admins.end(), user_id) != roles.admins.end();
  }
};

}  // namespace ff
