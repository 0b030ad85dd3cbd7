#pragma once

#include <iosfwd>

#include "config.hpp"

namespace ff {

// Exit codes of the bot.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitConfig = 2,        // bad configuration, prompt file or token
  kExitLinkDisabled = 3,  // Slack turned Socket Mode off for the app
};

// Runs the bot as configured: console mode or Socket Mode. Returns the exit code.
int run_bot(const Config& config);

// Loads and checks everything a start would, without connecting; prints a
// summary to `out`.
int check_config(const Config& config, std::ostream& out);

}  // namespace ff
