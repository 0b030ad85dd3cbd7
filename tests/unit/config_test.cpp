#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "bot/app/config.hpp"
#include "bot/store/database.hpp"

using namespace ff;
using ff::store::redact_url;

namespace {
struct FakeEnvironment {
  std::map<std::string, std::string> values;
  Environment lookup() const {
    Environment env;
    env.value = [this](const std::string& name) -> std::optional<std::string> {
      const auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
    env.names = [this] {
      std::vector<std::string> names;
      for (const auto& [name, value] : values) names.push_back(name);
      return names;
    };
    return env;
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
  REQUIRE(c.prompt_files.size() == 2);
  CHECK(c.prompt_files[0].find("prompts/coaching.toml") != std::string::npos);
  CHECK(c.prompt_files[1].find("prompts/flows.toml") != std::string::npos);
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
  CHECK(error_of(flags, env) ==
        typo + ":2: slack.conections is not a setting (did you mean slack.connections?)");
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

TEST_CASE("a misspelled FIRSTFOLLOWER_ variable is refused like a typo in the file") {
  FakeEnvironment env;
  env.values = {{"FIRSTFOLLOWER_BOT_ADMIN", "U0ALEX"}};
  CHECK(error_of({}, env) ==
        "environment: FIRSTFOLLOWER_BOT_ADMIN is not a setting (did you mean "
        "FIRSTFOLLOWER_BOT_ADMINS?)");
  env.values = {{"FIRSTFOLLOWER_SOMETHING_ELSE", "1"}};
  CHECK(error_of({}, env) == "environment: FIRSTFOLLOWER_SOMETHING_ELSE is not a setting");
  // The known ones, the test suite's own and other programs' variables pass.
  env.values = {{"FIRSTFOLLOWER_DB", ":memory:"},
                {"FIRSTFOLLOWER_CONFIG", kDefault},
                {"FIRSTFOLLOWER_STORE_POSTGRES_POOL_SIZE", "2"},
                {"FIRSTFOLLOWER_TEST_POSTGRES", "postgresql://x"},
                {"FIRSTFOLLOWERS", "x"},
                {"HOME", "/root"}};
  CHECK(error_of({}, env).empty());
}

TEST_CASE("list settings in the environment take U1,U2 as well as TOML") {
  FakeEnvironment env;
  env.values = {{"FIRSTFOLLOWER_BOT_ADMINS", "U0ALEX, U0SAM"},
                {"FIRSTFOLLOWER_INITIATIVES_WORKING_DAYS", "1,2,3,4"},
                {"FIRSTFOLLOWER_INITIATIVES_REMINDERS_AFTER_WORKING_MINUTES", "60"}};
  Config c = load_config({}, env.lookup(), kDefault);
  CHECK(c.admins == std::vector<std::string>{"U0ALEX", "U0SAM"});
  CHECK(c.initiatives.working_hours.days == std::set<int>{1, 2, 3, 4});
  CHECK(c.initiatives.reminders_after ==
        std::vector<std::chrono::minutes>{std::chrono::minutes{60}});
  env.values = {{"FIRSTFOLLOWER_BOT_ADMINS", "[\"U0ALEX\"]"}};
  CHECK(load_config({}, env.lookup(), kDefault).admins == std::vector<std::string>{"U0ALEX"});
  env.values = {{"FIRSTFOLLOWER_BOT_ADMINS", "U0ALEX"}};
  CHECK(load_config({}, env.lookup(), kDefault).admins == std::vector<std::string>{"U0ALEX"});
  // A bad item is named, as in the file.
  env.values = {{"FIRSTFOLLOWER_BOT_ADMINS", "U0ALEX,alex"}};
  CHECK(error_of({}, env) ==
        "FIRSTFOLLOWER_BOT_ADMINS: 'alex' is not a Slack user id (like U0123ABCD)");
  env.values = {{"FIRSTFOLLOWER_INITIATIVES_WORKING_DAYS", "1,9"}};
  CHECK(error_of({}, env).find("9 is outside 1..7") != std::string::npos);
}

TEST_CASE("a configuration file without prompt_files uses the bundled questions") {
  FakeEnvironment env;
  CommandLineOverrides flags;
  const std::string own = temp_file("[bot]\nadmins = [\"U0ALEX\"]\n");
  flags.config_path = own;
  const Config c = load_config(flags, env.lookup(), kDefault);
  REQUIRE(c.prompt_files.size() == 2);
  CHECK(c.prompt_files[0] == std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml");
  CHECK(c.prompt_files[1] == std::string(FF_SOURCE_DIR) + "/prompts/flows.toml");
  // Naming none on purpose is still an error.
  const std::string none = temp_file("[bot]\nprompt_files = []\n");
  flags.config_path = none;
  CHECK(error_of(flags, env) == "bot.prompt_files names no prompt file");
  std::remove(own.c_str());
  std::remove(none.c_str());
}

TEST_CASE("the description of a configuration shows who is who and the working hours") {
  FakeEnvironment env;
  CommandLineOverrides flags;
  const std::string file = temp_file(
      "[bot]\nadmins = [\"U0ADMIN\"]\n[initiatives]\nmanagers = { U0ALEX = [\"U0SAM\", "
      "\"U0KIM\"] }\nleads = { C0GENERAL = [\"U0LEAD\"] }\nworking_days = [1, 2, 3]\n"
      "working_hours = \"08:30-16:00\"\n");
  flags.config_path = file;
  const std::string described = load_config(flags, env.lookup(), kDefault).describe();
  CHECK(described.find("bot.admins: U0ADMIN\n") != std::string::npos);
  CHECK(described.find("initiatives.managers: U0ALEX is backed by U0SAM, U0KIM\n") !=
        std::string::npos);
  CHECK(described.find("initiatives.leads: C0GENERAL: U0LEAD\n") != std::string::npos);
  CHECK(described.find("initiatives.working_days: Mon Tue Wed\n") != std::string::npos);
  CHECK(described.find("initiatives.working_hours: 08:30-16:00") != std::string::npos);
  std::remove(file.c_str());
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

TEST_CASE(
    "the nudges settings are checked one by one: quiet hours and holidays and grace and zone") {
  FakeEnvironment env;
  CommandLineOverrides flags;
  const std::string good = temp_file(
      "[nudges]\nquiet_hours = \"21:00-07:30\"\nholidays = [\"2026-12-25\", \"2027-01-01\"]\n"
      "grace_minutes = 30\ndefault_time_zone = \"Europe/Paris\"\n");
  flags.config_path = good;
  const Config c = load_config(flags, env.lookup(), kDefault);
  CHECK(c.nudges.calendar.quiet_from == std::chrono::minutes{21 * 60});
  CHECK(c.nudges.calendar.quiet_until == std::chrono::minutes{7 * 60 + 30});
  CHECK(c.nudges.calendar.holidays == std::set<std::string>{"2026-12-25", "2027-01-01"});
  CHECK(c.nudges.grace == std::chrono::minutes{30});
  CHECK(c.nudges.default_time_zone == "Europe/Paris");
  CHECK(c.describe().find("nudges.holidays: 2026-12-25, 2027-01-01") != std::string::npos);
  const std::string bad_day = temp_file("[nudges]\nholidays = [\"2026-12-25\", \"2026-13-01\"]\n");
  flags.config_path = bad_day;
  CHECK(error_of(flags, env) == bad_day +
                                    ":2: nudges.holidays: '2026-13-01' is not a date like "
                                    "\"2026-12-25\"");
  const std::string bad_hours = temp_file("[nudges]\nquiet_hours = \"late\"\n");
  flags.config_path = bad_hours;
  CHECK(error_of(flags, env).find("nudges.quiet_hours: expected a range like") !=
        std::string::npos);
  const std::string bad_zone = temp_file("[nudges]\ndefault_time_zone = \"Mars/Olympus\"\n");
  flags.config_path = bad_zone;
  CHECK(error_of(flags, env).find("'Mars/Olympus' is not a time zone") != std::string::npos);
  for (const auto& file : {good, bad_day, bad_hours, bad_zone}) std::remove(file.c_str());
}
