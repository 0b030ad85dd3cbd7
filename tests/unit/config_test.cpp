#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "bot/app/config.hpp"
#include "bot/store/database.hpp"

using namespace ff;
using ff::store::redact_url;

namespace {
struct FakeEnvironment {
  std::map<std::string, std::string> values;
  EnvironmentLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      const auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
  }
};
const std::string kDefault = std::string(FF_SOURCE_DIR) + "/config/firstfollower.toml";

std::string error_of(const CommandLineOverrides& flags, const FakeEnvironment& env) {
  try {
    load_config(flags, env.lookup(), kDefault);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

std::string temp_file(const std::string& content) {
  char name[] = "/tmp/ff-config-XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(name) << content;
  return name;
}
}  // namespace

TEST_CASE("without tokens the bot runs in console mode with the documented defaults") {
  FakeEnvironment env;
  const Config c = load_config({}, env.lookup(), kDefault);
  CHECK(c.console);
  CHECK(c.api_url == "https://slack.com/api/");
  CHECK(c.socket_mode.connections == 1);
  REQUIRE(c.prompt_files.size() == 1);
  CHECK(c.prompt_files[0].find("prompts/coaching.toml") != std::string::npos);
}

TEST_CASE("environment overrides the file, and flags override the environment") {
  FakeEnvironment env;
  env.values = {{"FIRSTFOLLOWER_SLACK_CONNECTIONS", "3"},
                {"FIRSTFOLLOWER_BOT_LOG_LEVEL", "debug"},
                {"SLACK_API_URL", "http://127.0.0.1:9/api/"}};
  CommandLineOverrides flags;
  Config c = load_config(flags, env.lookup(), kDefault);
  CHECK(c.socket_mode.connections == 3);
  CHECK(c.log_level == "debug");
  CHECK(c.api_url == "http://127.0.0.1:9/api/");
  flags.connections = 5;
  flags.assignments = {"slack.ack_deadline_ms=40"};
  c = load_config(flags, env.lookup(), kDefault);
  CHECK(c.socket_mode.connections == 5);
  CHECK(c.socket_mode.ack_deadline.count() == 40);
}

TEST_CASE("a token of the wrong kind names the variable and never echoes the token") {
  FakeEnvironment env;
  env.values = {{"SLACK_APP_TOKEN", "xoxb-secret-123"}, {"SLACK_BOT_TOKEN", "xoxb-secret-456"}};
  const std::string message = error_of({}, env);
  CHECK(message.find("SLACK_APP_TOKEN holds a bot token") != std::string::npos);
  CHECK(message.find("secret") == std::string::npos);

  env.values = {{"SLACK_APP_TOKEN", "xapp-1"}, {"SLACK_BOT_TOKEN", "xapp-2"}};
  CHECK(error_of({}, env).find("SLACK_BOT_TOKEN holds an app-level token") != std::string::npos);
  env.values = {{"SLACK_APP_TOKEN", "xapp-1"}};
  CHECK(error_of({}, env).find("SLACK_BOT_TOKEN is not set") != std::string::npos);
}

TEST_CASE("tokens may come from files") {
  FakeEnvironment env;
  const std::string app = temp_file("xapp-from-file\n");
  const std::string bot = temp_file("  xoxb-from-file  \n");
  env.values = {{"SLACK_APP_TOKEN_FILE", app}, {"SLACK_BOT_TOKEN_FILE", bot}};
  const Config c = load_config({}, env.lookup(), kDefault);
  CHECK_FALSE(c.console);
  CHECK(c.app_token == "xapp-from-file");
  CHECK(c.bot_token == "xoxb-from-file");
  CHECK(c.describe().find("from-file") == std::string::npos);
  env.values["SLACK_APP_TOKEN"] = "xapp-too";
  CHECK(error_of({}, env).find("either SLACK_APP_TOKEN or SLACK_APP_TOKEN_FILE") !=
        std::string::npos);
  std::remove(app.c_str());
  std::remove(bot.c_str());
}

TEST_CASE("bad configuration files and values are named precisely") {
  FakeEnvironment env;
  CommandLineOverrides flags;
  const std::string typo = temp_file("[slack]\nconections = 2\n");
  flags.config_path = typo;
  CHECK(error_of(flags, env) == typo + ":2: slack.conections is not a setting");
  const std::string range = temp_file("[slack]\nconnections = 11\n");
  flags.config_path = range;
  CHECK(error_of(flags, env).find(":2: slack.connections: 11 is outside 1..10") !=
        std::string::npos);
  const std::string broken = temp_file("[slack\n");
  flags.config_path = broken;
  CHECK(error_of(flags, env).rfind(broken + ":1:", 0) == 0);
  flags.config_path = "/nonexistent/firstfollower.toml";
  CHECK_FALSE(error_of(flags, env).empty());
  flags.config_path.reset();
  env.values = {{"SLACK_API_URL", "https://slack.com/api"}};
  CHECK(error_of(flags, env).find("must end with '/'") != std::string::npos);
  std::remove(typo.c_str());
  std::remove(range.c_str());
  std::remove(broken.c_str());
}

TEST_CASE("the database comes from the file, then FIRSTFOLLOWER_DB, then --db") {
  FakeEnvironment env;
  CommandLineOverrides flags;
  CHECK(load_config(flags, env.lookup(), kDefault).database == "firstfollower.db");
  env.values = {{"FIRSTFOLLOWER_DB", "postgresql://ff:secret@db.internal/ff"}};
  Config c = load_config(flags, env.lookup(), kDefault);
  CHECK(c.database == "postgresql://ff:secret@db.internal/ff");
  // The password never reaches what --check-config prints.
  CHECK(c.describe().find("secret") == std::string::npos);
  CHECK(c.describe().find("postgresql://ff:***@db.internal/ff") != std::string::npos);
  flags.database = "/var/lib/firstfollower/state.db";
  CHECK(load_config(flags, env.lookup(), kDefault).database == "/var/lib/firstfollower/state.db");
  flags.assignments = {"store.sqlite_synchronous=fast"};
  CHECK(error_of(flags, env).find("NORMAL") != std::string::npos);
}

TEST_CASE("passwords are cut out of database URLs, in the user part and in the query") {
  CHECK(redact_url("postgresql://ff:s3cr%40t@host:5432/db") == "postgresql://ff:***@host:5432/db");
  CHECK(redact_url("postgres://host/db?user=ff&password=hunter2&sslmode=require") ==
        "postgres://host/db?user=ff&password=***&sslmode=require");
  CHECK(redact_url("postgresql://ff@host/db") == "postgresql://ff@host/db");
  CHECK(redact_url("state.db") == "state.db");
}
