#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bot/services.hpp"
#include "bot/slack/router.hpp"
#include "commands/coach.hpp"
#include "commands/nudges/nudges.hpp"

namespace ff::commands {

// What App Home shows, each part from the feature that owns it: the
// initiatives (waiting for the person, and their own), the nudges and the
// reflections (their controls), and the coaching figures.
struct HomeServices : Services {
  store::InitiativeStore& initiatives;
  store::ProfileStore& profiles;
  NudgeServices nudges;
  CoachServices coach;
};

// The person's App Home: a view of type "home", within Slack's 100 blocks
// however much waits for them (long lists end in "and N more").
nlohmann::json home_view(const HomeServices& services, const std::string& user_id);

// views.publish of that view; a failure is logged (the Home is published
// again when it is next opened).
void publish_home(const HomeServices& services, const std::string& user_id);

// app_home_opened on the Home tab publishes the person's Home.
void register_home(EnvelopeRouter::Routes routes, const HomeServices& services);

// Slack's most blocks in one view.
inline constexpr std::size_t kViewBlockLimit = 100;

}  // namespace ff::commands
