#pragma once

#include "bot/slack/router.hpp"
#include "bot/store/stores.hpp"

namespace ff::commands {

// `/coach my-data` shows a person everything stored about them; `/coach
// forget-me` deletes it after a confirming press. Both answer only the
// person asking (ephemeral).
Reply show_my_data(store::PersonalDataStore& data, const std::string& user_id);
Reply offer_to_forget(const std::string& user_id);
void register_my_data(EnvelopeRouter::Routes routes, store::PersonalDataStore& data);

inline constexpr const char* kForgetMeAction = "my_data_forget";

}  // namespace ff::commands
