#pragma once

#include "clock.hpp"
#include "prompts.hpp"
#include "slack_api.hpp"

namespace ff {

// The narrow interfaces a command handler may use. Handlers never see
// sockets, curl handles, SQL or threads.
struct Services {
  SlackApi& slack;
  const PromptLibrary& prompts;
  PromptPicker& picker;
  const Clock& clock;
};

}  // namespace ff
