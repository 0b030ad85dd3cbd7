#include <csignal>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "bot/app/app.hpp"
#include "bot/app/config.hpp"
#include "bot/logging.hpp"

#ifndef FIRSTFOLLOWER_DEFAULT_CONFIG
#define FIRSTFOLLOWER_DEFAULT_CONFIG "config/firstfollower.toml"
#endif

int main(int argc, char** argv) {
  // A peer that vanishes mid-write must not kill the bot.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App cli{
      "firstfollower: a Slack bot that coaches managers to lead leaders.\n"
      "Without SLACK_APP_TOKEN and SLACK_BOT_TOKEN it starts in console mode."};
  ff::CommandLineOverrides flags;
  std::string config_path;
  std::string log_level;
  int connections = 0;
  bool check = false;
  cli.add_option(
      "-c,--config", config_path,
      "configuration file (default: $FIRSTFOLLOWER_CONFIG, then " FIRSTFOLLOWER_DEFAULT_CONFIG ")");
  cli.add_flag("--check-config", check, "validate the configuration and prompt library, then exit");
  cli.add_flag("--console", flags.console, "console mode even when Slack tokens are set");
  cli.add_option("--connections", connections, "concurrent Socket Mode connections (1-10)");
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  std::string log_format;
  cli.add_option("--log-format", log_format, "text (the default) or json: one object per line");
  cli.add_option("--prompts", flags.prompt_files,
                 "prompt library file(s), replacing bot.prompt_files");
  cli.add_option("--set", flags.assignments,
                 "any setting as section.key=value, e.g. slack.ack_deadline_ms=50");
  std::string database;
  cli.add_option("--db", database,
                 "state: a SQLite file, or postgresql://… for several instances "
                 "(default: $FIRSTFOLLOWER_DB, then store.database)");
  cli.set_version_flag("--version", std::string("firstfollower ") + FIRSTFOLLOWER_VERSION);

  std::string user_id;
  auto* export_command =
      cli.add_subcommand("export", "print everything stored about a person as JSON, then exit");
  auto* forget_command =
      cli.add_subcommand("forget", "delete everything stored about a person, then exit");
  for (auto* command : {export_command, forget_command}) {
    command->add_option("--user", user_id, "the person's Slack user id (U…)")->required();
    command->fallthrough();
  }
  CLI11_PARSE(cli, argc, argv);
  if (!database.empty()) flags.database = database;
  if (!config_path.empty()) flags.config_path = config_path;
  if (!log_level.empty()) flags.log_level = log_level;
  if (!log_format.empty()) flags.log_format = log_format;
  if (connections != 0) flags.connections = connections;

  auto logger = spdlog::stderr_color_mt("firstfollower");
  spdlog::set_default_logger(logger);
  ff::use_log_format("text");

  ff::Config config;
  try {
    config = ff::load_config(flags, ff::process_environment(), FIRSTFOLLOWER_DEFAULT_CONFIG);
  } catch (const ff::ConfigError& error) {
    std::cerr << "firstfollower: configuration error: " << error.what() << "\n";
    return ff::kExitConfig;
  }
  ff::use_log_format(config.log_format);
  if (check) return ff::check_config(config, std::cout);
  if (export_command->parsed() || forget_command->parsed()) {
    spdlog::set_level(spdlog::level::warn);
    return ff::run_personal_data(config,
                                 export_command->parsed() ? ff::PersonalDataAction::kExport
                                                          : ff::PersonalDataAction::kForget,
                                 user_id, std::cout);
  }

  // The console is for people: only problems go to the terminal unless a
  // level was asked for.
  if (config.console && !flags.log_level && config.log_level == "info") config.log_level = "warn";
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  return ff::run_bot(config);
}
