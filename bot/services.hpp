#pragma once

#include "clock.hpp"
#include "prompts.hpp"
#include "slack_api.hpp"
#include "store/stores.hpp"

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
};

}  // namespace ff
