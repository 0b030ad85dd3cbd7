#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bot/dialog_settings.hpp"
#include "bot/initiative_settings.hpp"
#include "bot/nudge_settings.hpp"
#include "bot/slack/socket_mode_client.hpp"

namespace ff {

// A configuration that cannot be used. what() names the file and line, the
// variable or the flag at fault, and never contains a token.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Config {
  // Secrets: never logged, never printed.
  std::string app_token;
  std::string bot_token;

  std::string api_url = "https://slack.com/api/";
  SocketModeOptions socket_mode;  // [slack] connections and their timings
  std::chrono::milliseconds api_timeout{10000};
  // The workspace-wide pace of bulk posts (scheduled nudges), per instance.
  int bulk_posts_per_minute = 1200;

  int workers = 2;
  std::string log_level = "info";
  std::string log_format = "text";  // or "json": one object per line
  std::vector<std::string> prompt_files;
  std::chrono::milliseconds shutdown_grace{3000};
  std::uint64_t random_seed = 0;    // 0: seeded from the system
  std::vector<std::string> admins;  // user ids who see everyone's figures
  InitiativeSettings initiatives;
  NudgeSettings nudges;
  DialogSettings dialogs;

  // Where state lives: a SQLite file path, or postgresql://… shared by
  // several instances. A relative path is taken from the working directory.
  std::string database = "firstfollower.db";
  std::chrono::minutes dedupe_retention{60};
  std::string sqlite_synchronous = "NORMAL";
  int postgres_pool_size = 4;
  std::chrono::milliseconds scheduler_poll_interval{1000};
  std::chrono::milliseconds scheduler_lease{60000};

  // [ops] listen: where the health and metrics listener listens
  // ("127.0.0.1:9464"); empty, the default, for no listener.
  std::string ops_listen;

  std::string config_path;  // the file these came from, if any
  bool console = false;     // console mode: no tokens, or --console

  // One line a setting, tokens shown only as set or not set.
  std::string describe() const;
};

// Settings given on the command line; each overrides file and environment.
struct CommandLineOverrides {
  std::optional<std::string> config_path;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  std::optional<int> connections;
  std::optional<std::string> database;
  std::vector<std::string> prompt_files;
  std::vector<std::string> assignments;  // "section.key=value"
  bool console = false;
};

// The environment as configuration reads it: one variable's value, and the
// names of all of them, so that a misspelled FIRSTFOLLOWER_* variable is
// refused like a misspelled key in the file.
struct Environment {
  std::function<std::optional<std::string>(const std::string&)> value;
  std::function<std::vector<std::string>()> names;

  std::optional<std::string> operator()(const std::string& name) const { return value(name); }
};
Environment process_environment();

// Defaults, then the configuration file, then FIRSTFOLLOWER_<SECTION>_<KEY>,
// FIRSTFOLLOWER_DB and the Slack variables of the environment, then the
// command line. Without bot.prompt_files the bundled questions and dialog
// flows are used: prompts/coaching.toml and prompts/flows.toml beside the
// folder of the default configuration.
Config load_config(const CommandLineOverrides& flags, const Environment& environment,
                   const std::string& default_config_path);

// Every setting of the file as section.key, for help and documentation tests.
std::vector<std::string> config_keys();

}  // namespace ff
