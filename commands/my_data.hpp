#pragma once

#include "bot/services.hpp"
#include "bot/slack/router.hpp"

namespace ff::commands {

// `/coach my-data` shows a person everything stored about them; `/coach
// forget-me` deletes it after a confirming press. Both answer only the
// person asking (ephemeral).
Reply show_my_data(Services& services, const std::string& user_id);
Reply offer_to_forget(const std::string& user_id);
void register_my_data(EnvelopeRouter::Routes routes, Services& services);

inline constexpr const char* kForgetMeAction = "my_data_forget";

}  // namespace ff::commands
