#pragma once

#include <iosfwd>
#include <string>

#include "bot/app/config.hpp"

namespace ff {

// Exit codes of the bot.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitConfig = 2,        // bad configuration, prompt file or token
  kExitLinkDisabled = 3,  // Slack turned Socket Mode off for the app
  kExitDatabase = 4,      // the database cannot be opened, read or upgraded
};

// Runs the bot as configured: console mode or Socket Mode. Returns the exit code.
int run_bot(const Config& config);

// `firstfollower export --user U…` prints everything stored about a person
// as JSON; `forget` deletes it and prints what was removed.
enum class PersonalDataAction { kExport, kForget };
int run_personal_data(const Config& config, PersonalDataAction action, const std::string& user_id,
                      std::ostream& out);

// Loads and checks everything a start would, without connecting; prints a
// summary to `out`.
int check_config(const Config& config, std::ostream& out);

}  // namespace ff
