#pragma once

#include "bot/flows.hpp"
#include "bot/services.hpp"
#include "bot/slack/router.hpp"

namespace ff::commands {

// "help" in a DM with the bot, and the help text shared by every command.
void register_help(EnvelopeRouter::Routes routes, const Services& services);

Message overview_help();
Message coach_help();
Message nit_help();
Message sixmonths_help();
Message nudges_help();
// /reflect help: the words that steer a dialog, and the flows installed.
Message reflect_help(const FlowLibrary& flows);

}  // namespace ff::commands
