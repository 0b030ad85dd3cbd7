#include "bot/app/config.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>  // environ

#include <spdlog/fmt/fmt.h>
#include <toml++/toml.h>

#include "bot/ops/ops_listener.hpp"
#include "bot/schedule/recurrence.hpp"
#include "bot/schedule/working_time.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "bot/store/database.hpp"

namespace ff {
namespace {

namespace fs = std::filesystem;

// One setting: where it lives in the file and how a text value is applied.
struct Setting {
  std::string section;
  std::string key;
  std::function<void(Config&, const toml::node&, const std::string& where)> apply;
};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::int64_t integer_in(const toml::node& node, const std::string& where, std::int64_t low,
                        std::int64_t high) {
  const auto* value = node.as_integer();
  if (value == nullptr) throw ConfigError(where + ": expected a whole number");
  if (value->get() < low || value->get() > high) {
    throw ConfigError(fmt::format("{}: {} is outside {}..{}", where, value->get(), low, high));
  }
  return value->get();
}

std::string text_of(const toml::node& node, const std::string& where) {
  const auto* value = node.as_string();
  if (value == nullptr) throw ConfigError(where + ": expected a string");
  return value->get();
}

// The items of a list setting. A single value is a list of one, so
// FIRSTFOLLOWER_BOT_ADMINS=U0123 works as well as "U1,U2" and ["U1", "U2"].
std::vector<const toml::node*> items_of(const toml::node& node) {
  std::vector<const toml::node*> items;
  if (const auto* list = node.as_array()) {
    for (const auto& item : *list) items.push_back(&item);
  } else {
    items.push_back(&node);
  }
  return items;
}

std::vector<std::string> user_ids_in(const toml::node& node, const std::string& where) {
  std::vector<std::string> ids;
  for (const auto* item : items_of(node)) {
    const std::string id = text_of(*item, where);
    if (!mrkdwn::is_user_id(id)) {
      throw ConfigError(where + ": '" + id + "' is not a Slack user id (like U0123ABCD)");
    }
    ids.push_back(id);
  }
  return ids;
}

// { KEY = ["U…", …], … } where each key must pass `valid_key`.
std::map<std::string, std::vector<std::string>> id_lists(const toml::node& node,
                                                         const std::string& where,
                                                         bool (*valid_key)(std::string_view),
                                                         const char* key_kind) {
  const auto* table = node.as_table();
  if (table == nullptr)
    throw ConfigError(where + ": expected a table like { U0123 = [\"U0456\"] }");
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [key, value] : *table) {
    const std::string name(key.str());
    if (!valid_key(name)) throw ConfigError(where + ": '" + name + "' is not a " + key_kind);
    out[name] = user_ids_in(value, where + "." + name);
  }
  return out;
}

Setting milliseconds(std::string section, std::string key, std::chrono::milliseconds Config::*field,
                     std::int64_t low, std::int64_t high) {
  return {std::move(section), std::move(key),
          [=](Config& c, const toml::node& n, const std::string& where) {
            c.*field = std::chrono::milliseconds{integer_in(n, where, low, high)};
          }};
}

// A timing of the Socket Mode connections ([slack]).
Setting milliseconds(std::string key, std::chrono::milliseconds SocketModeOptions::*field,
                     std::int64_t low, std::int64_t high) {
  return {"slack", std::move(key), [=](Config& c, const toml::node& n, const std::string& where) {
            c.socket_mode.*field = std::chrono::milliseconds{integer_in(n, where, low, high)};
          }};
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = {
      {"slack", "api_url",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.api_url = text_of(n, where);
       }},
      {"slack", "connections",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.socket_mode.connections = static_cast<int>(integer_in(n, where, 1, 10));
       }},
      milliseconds("ack_deadline_ms", &SocketModeOptions::ack_deadline, 1, 2500),
      milliseconds("view_ack_deadline_ms", &SocketModeOptions::view_ack_deadline, 1, 2900),
      milliseconds("ping_interval_ms", &SocketModeOptions::ping_interval, 50, 600000),
      milliseconds("pong_timeout_ms", &SocketModeOptions::pong_timeout, 50, 600000),
      milliseconds("reconnect_min_ms", &SocketModeOptions::reconnect_min, 1, 600000),
      milliseconds("reconnect_max_ms", &SocketModeOptions::reconnect_max, 1, 3600000),
      milliseconds("refresh_drain_ms", &SocketModeOptions::refresh_drain, 0, 60000),
      milliseconds("slack", "api_timeout_ms", &Config::api_timeout, 100, 120000),
      {"slack", "bulk_posts_per_minute",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.bulk_posts_per_minute = static_cast<int>(integer_in(n, where, 1, 100000));
       }},
      {"bot", "workers",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.workers = static_cast<int>(integer_in(n, where, 1, 64));
       }},
      {"bot", "log_level",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.log_level = text_of(n, where);
       }},
      {"bot", "log_format",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.log_format = text_of(n, where);
         if (c.log_format != "text" && c.log_format != "json") {
           throw ConfigError(where + ": '" + c.log_format + "' is not text or json");
         }
       }},
      {"bot", "prompt_files",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.prompt_files.clear();
         for (const auto* item : items_of(n)) c.prompt_files.push_back(text_of(*item, where));
       }},
      milliseconds("bot", "shutdown_grace_ms", &Config::shutdown_grace, 0, 4000),
      {"bot", "admins",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.admins = user_ids_in(n, where);
       }},
      {"initiatives", "managers",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.initiatives.managers = id_lists(n, where, mrkdwn::is_user_id, "Slack user id");
       }},
      {"initiatives", "leads",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.initiatives.channel_leads = id_lists(n, where, mrkdwn::is_channel_id, "channel id");
       }},
      {"initiatives", "reminders_after_working_minutes",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.initiatives.reminders_after.clear();
         for (const auto* item : items_of(n)) {
           c.initiatives.reminders_after.emplace_back(integer_in(*item, where, 1, 60 * 24 * 30));
         }
       }},
      {"initiatives", "working_days",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.initiatives.working_hours.days.clear();
         for (const auto* item : items_of(n)) {
           c.initiatives.working_hours.days.insert(
               static_cast<int>(integer_in(*item, where, 1, 7)));
         }
         if (c.initiatives.working_hours.days.empty())
           throw ConfigError(where + ": name at least one day");
       }},
      {"initiatives", "working_hours",
       [](Config& c, const toml::node& n, const std::string& where) {
         const std::string text = text_of(n, where);
         int h1 = 0, m1 = 0, h2 = 0, m2 = 0;
         char tail = 0;
         if (std::sscanf(text.c_str(), "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 < 0 ||
             h1 > 24 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 ||
             h2 * 60 + m2 <= h1 * 60 + m1 || h2 * 60 + m2 > 24 * 60) {
           throw ConfigError(where + ": expected a range like \"09:00-17:00\"");
         }
         c.initiatives.working_hours.start = std::chrono::minutes{h1 * 60 + m1};
         c.initiatives.working_hours.end = std::chrono::minutes{h2 * 60 + m2};
       }},
      {"nudges", "quiet_hours",
       [](Config& c, const toml::node& n, const std::string& where) {
         const std::string text = text_of(n, where);
         const auto dash = text.find('-');
         const auto from = parse_time_of_day(text.substr(0, dash));
         const auto until =
             dash == std::string::npos ? std::nullopt : parse_time_of_day(text.substr(dash + 1));
         if (!from || !until || text.find(':') == std::string::npos) {
           throw ConfigError(where +
                             ": expected a range like \"20:00-08:00\" (\"00:00-00:00\" for none)");
         }
         c.nudges.calendar.quiet_from = *from;
         c.nudges.calendar.quiet_until = *until;
       }},
      {"nudges", "holidays",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.nudges.calendar.holidays.clear();
         for (const auto* item : items_of(n)) {
           const std::string day = text_of(*item, where);
           if (!start_of_date(day, "UTC")) {
             throw ConfigError(where + ": '" + day + "' is not a date like \"2026-12-25\"");
           }
           c.nudges.calendar.holidays.insert(day);
         }
       }},
      {"nudges", "grace_minutes",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.nudges.grace = std::chrono::minutes{integer_in(n, where, 1, 24 * 60)};
       }},
      {"nudges", "default_time_zone",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.nudges.default_time_zone = text_of(n, where);
         if (!is_known_time_zone(c.nudges.default_time_zone)) {
           throw ConfigError(where + ": '" + c.nudges.default_time_zone +
                             "' is not a time zone like \"Europe/Paris\"");
         }
       }},
      {"nudges", "respect_do_not_disturb",
       [](Config& c, const toml::node& n, const std::string& where) {
         const auto* value = n.as_boolean();
         if (value == nullptr) throw ConfigError(where + ": expected true or false");
         c.nudges.respect_do_not_disturb = value->get();
       }},
      {"ops", "listen",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.ops_listen = text_of(n, where);
         if (c.ops_listen.empty()) return;
         try {
           ops::parse_listen_address(c.ops_listen);
         } catch (const ops::ListenError& refused) {
           throw ConfigError(where + ": " + refused.what());
         }
       }},
      {"reflect", "expire_after_minutes",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.dialogs.expire_after = std::chrono::minutes{integer_in(n, where, 5, 30 * 24 * 60)};
       }},
      {"store", "database",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.database = text_of(n, where);
       }},
      {"store", "dedupe_retention_minutes",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.dedupe_retention = std::chrono::minutes{integer_in(n, where, 10, 7 * 24 * 60)};
       }},
      {"store", "sqlite_synchronous",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.sqlite_synchronous = upper(text_of(n, where));
         if (c.sqlite_synchronous != "NORMAL" && c.sqlite_synchronous != "FULL") {
           throw ConfigError(where + ": expected \"NORMAL\" or \"FULL\"");
         }
       }},
      {"store", "postgres_pool_size",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.postgres_pool_size = static_cast<int>(integer_in(n, where, 1, 64));
       }},
      milliseconds("scheduler", "poll_interval_ms", &Config::scheduler_poll_interval, 10, 60000),
      milliseconds("scheduler", "lease_ms", &Config::scheduler_lease, 1000, 3600000),
      {"bot", "random_seed",
       [](Config& c, const toml::node& n, const std::string& where) {
         c.random_seed = static_cast<std::uint64_t>(integer_in(n, where, 0, INT64_MAX));
       }},
  };
  return all;
}

const Setting* find_setting(const std::string& section, const std::string& key) {
  for (const auto& s : settings()) {
    if (s.section == section && s.key == key) return &s;
  }
  return nullptr;
}

// Parses a value given as text (environment, flag) the way TOML would: a
// number, a quoted or bare string, or a list, in TOML (["U1", "U2"]) or
// as items separated by commas (U1,U2).
toml::table value_table(const std::string& text) {
  try {
    return toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
  }
  toml::table t;
  if (text.find(',') == std::string::npos) {
    t.insert("v", text);
    return t;
  }
  toml::array items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(item.find_last_not_of(" \t") + 1);
    item.erase(0, item.find_first_not_of(" \t"));
    if (item.empty()) continue;
    toml::table one = value_table(item);
    items.push_back(*one.get("v"));
  }
  t.insert("v", std::move(items));
  return t;
}

// Edits that turn one name into the other (Levenshtein distance), to
// suggest the setting a typo meant.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean X?)" for the nearest of `known`, when it is near.
std::string suggestion(const std::string& typed, const std::vector<std::string>& known) {
  const std::string* best = nullptr;
  std::size_t best_distance = 4;  // further than 3 edits is not a typo
  for (const auto& name : known) {
    const std::size_t d = distance(typed, name);
    if (d < best_distance) {
      best_distance = d;
      best = &name;
    }
  }
  return best == nullptr ? std::string() : " (did you mean " + *best + "?)";
}

std::string variable_of(const Setting& s) {
  return "FIRSTFOLLOWER_" + upper(s.section) + "_" + upper(s.key);
}

// A FIRSTFOLLOWER_* variable that names no setting is a typo, and an error
// like the same typo in the file: ignored, it would leave the setting the
// person meant at its default without a word. FIRSTFOLLOWER_TEST_* belongs
// to the test suite.
void refuse_unknown_variables(const Environment& env) {
  if (!env.names) return;
  std::vector<std::string> known = {"FIRSTFOLLOWER_CONFIG", "FIRSTFOLLOWER_DB"};
  for (const auto& s : settings()) known.push_back(variable_of(s));
  for (const auto& name : env.names()) {
    if (name.rfind("FIRSTFOLLOWER_", 0) != 0 || name.rfind("FIRSTFOLLOWER_TEST_", 0) == 0) continue;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    throw ConfigError("environment: " + name + " is not a setting" + suggestion(name, known));
  }
}

void apply_text(Config& config, const Setting& setting, const std::string& text,
                const std::string& where) {
  const toml::table t = value_table(text);
  setting.apply(config, *t.get("v"), where);
}

fs::path resolve(const std::string& path, const fs::path& base) {
  fs::path p(path);
  return p.is_absolute() ? p : base / p;
}

std::string read_token_file(const std::string& path, const std::string& variable) {
  std::ifstream file(path);
  if (!file) throw ConfigError(variable + ": cannot read " + path);
  std::string token;
  std::getline(file, token);
  token.erase(token.find_last_not_of(" \t\r\n") + 1);
  token.erase(0, token.find_first_not_of(" \t"));
  if (token.empty()) throw ConfigError(variable + ": " + path + " is empty");
  return token;
}

std::string token_from(const Environment& env, const std::string& variable) {
  const auto direct = env(variable);
  const auto file = env(variable + "_FILE");
  if (direct && !direct->empty() && file && !file->empty()) {
    throw ConfigError("set either " + variable + " or " + variable + "_FILE, not both");
  }
  if (file && !file->empty()) return read_token_file(*file, variable + "_FILE");
  return direct.value_or("");
}

void check_token(const std::string& token, const std::string& variable, const std::string& prefix,
                 const std::string& kind) {
  if (token.rfind(prefix, 0) == 0 && token.size() > prefix.size()) return;
  std::string found = "a token of another kind";
  if (token.rfind("xoxb-", 0) == 0) found = "a bot token (xoxb-)";
  if (token.rfind("xapp-", 0) == 0) found = "an app-level token (xapp-)";
  if (token.rfind("xoxp-", 0) == 0) found = "a user token (xoxp-)";
  throw ConfigError(variable + " holds " + found + "; it needs " + kind + " starting with " +
                    prefix);
}

}  // namespace

Environment process_environment() {
  Environment env;
  env.value = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.names = [] {
    std::vector<std::string> names;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      const std::string_view text(*entry);
      names.emplace_back(text.substr(0, text.find('=')));
    }
    return names;
  };
  return env;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const auto& s : settings()) keys.push_back(s.section + "." + s.key);
  return keys;
}

Config load_config(const CommandLineOverrides& flags, const Environment& env,
                   const std::string& default_config_path) {
  refuse_unknown_variables(env);
  Config config;
  // The bundled questions, until a file, the environment or a flag names others.
  if (!default_config_path.empty()) {
    const fs::path prompts = fs::path(default_config_path).parent_path() / ".." / "prompts";
    config.prompt_files.clear();
    for (const char* file : {"coaching.toml", "flows.toml"}) {
      config.prompt_files.push_back(fs::absolute(prompts / file).lexically_normal().string());
    }
  }
  std::string path = flags.config_path.value_or(env("FIRSTFOLLOWER_CONFIG").value_or(""));
  const bool explicit_path = !path.empty();
  if (path.empty()) path = default_config_path;

  fs::path base = fs::current_path();
  if (!path.empty() && (explicit_path || fs::exists(path))) {
    toml::table root;
    try {
      root = toml::parse_file(path);
    } catch (const toml::parse_error& error) {
      throw ConfigError(
          fmt::format("{}:{}: {}", path, error.source().begin.line, error.description()));
    }
    for (const auto& [section_key, section] : root) {
      const std::string section_name(section_key.str());
      const auto* table = section.as_table();
      if (table == nullptr) {
        throw ConfigError(fmt::format("{}:{}: '{}' should be a [section]", path,
                                      section.source().begin.line, section_name));
      }
      for (const auto& [key, value] : *table) {
        const std::string where =
            fmt::format("{}:{}: {}.{}", path, value.source().begin.line, section_name, key.str());
        const Setting* setting = find_setting(section_name, std::string(key.str()));
        if (setting == nullptr) {
          std::vector<std::string> known = config_keys();
          throw ConfigError(where + " is not a setting" +
                            suggestion(section_name + "." + std::string(key.str()), known));
        }
        setting->apply(config, value, where);
      }
    }
    config.config_path = path;
    base = fs::path(path).parent_path();
  }
  for (auto& file : config.prompt_files) file = resolve(file, base).string();

  for (const auto& s : settings()) {
    const std::string variable = variable_of(s);
    if (const auto value = env(variable)) apply_text(config, s, *value, variable);
  }
  if (const auto url = env("SLACK_API_URL"); url && !url->empty()) config.api_url = *url;
  if (const auto db = env("FIRSTFOLLOWER_DB"); db && !db->empty()) config.database = *db;
  if (flags.database) config.database = *flags.database;
  if (flags.log_level) config.log_level = *flags.log_level;
  if (flags.log_format) {
    apply_text(config, *find_setting("bot", "log_format"), *flags.log_format, "--log-format");
  }
  if (flags.connections) {
    apply_text(config, *find_setting("slack", "connections"), std::to_string(*flags.connections),
               "--connections");
  }
  for (const auto& assignment : flags.assignments) {
    const auto eq = assignment.find('=');
    const auto dot = assignment.find('.');
    const std::string where = "--set " + assignment;
    if (eq == std::string::npos || dot == std::string::npos || dot > eq) {
      throw ConfigError(where + ": expected section.key=value");
    }
    const Setting* s =
        find_setting(assignment.substr(0, dot), assignment.substr(dot + 1, eq - dot - 1));
    if (s == nullptr) throw ConfigError(where + ": no such setting");
    apply_text(config, *s, assignment.substr(eq + 1), where);
  }
  if (!flags.prompt_files.empty()) config.prompt_files = flags.prompt_files;

  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  if (std::find(levels.begin(), levels.end(), config.log_level) == levels.end()) {
    throw ConfigError("log level '" + config.log_level +
                      "' is not one of trace, debug, info, warn, error, off");
  }
  if (config.api_url.empty() || config.api_url.back() != '/') {
    throw ConfigError(
        "SLACK_API_URL / slack.api_url must end with '/' (the method name is appended)");
  }
  if (config.api_url.rfind("https://", 0) != 0 && config.api_url.rfind("http://", 0) != 0) {
    throw ConfigError("SLACK_API_URL / slack.api_url must start with https:// or http://");
  }
  if (config.socket_mode.reconnect_max < config.socket_mode.reconnect_min) {
    throw ConfigError("slack.reconnect_max_ms must not be below slack.reconnect_min_ms");
  }
  if (config.prompt_files.empty()) throw ConfigError("bot.prompt_files names no prompt file");
  if (config.database.empty())
    throw ConfigError("store.database / --db / FIRSTFOLLOWER_DB is empty");

  config.app_token = token_from(env, "SLACK_APP_TOKEN");
  config.bot_token = token_from(env, "SLACK_BOT_TOKEN");
  config.console = flags.console || (config.app_token.empty() && config.bot_token.empty());
  if (!config.console) {
    if (config.app_token.empty())
      throw ConfigError("SLACK_APP_TOKEN is not set (SLACK_BOT_TOKEN is)");
    if (config.bot_token.empty())
      throw ConfigError("SLACK_BOT_TOKEN is not set (SLACK_APP_TOKEN is)");
    check_token(config.app_token, "SLACK_APP_TOKEN", "xapp-", "an app-level token");
    check_token(config.bot_token, "SLACK_BOT_TOKEN", "xoxb-", "a bot token");
  }
  return config;
}

std::string Config::describe() const {
  std::ostringstream out;
  out << "mode: " << (console ? "console" : "Slack (Socket Mode)") << "\n"
      << "config file: " << (config_path.empty() ? "(none, built-in defaults)" : config_path)
      << "\n"
      << "SLACK_APP_TOKEN: " << (app_token.empty() ? "not set" : "set") << "\n"
      << "SLACK_BOT_TOKEN: " << (bot_token.empty() ? "not set" : "set") << "\n"
      << "slack.api_url: " << api_url << "\n"
      << "slack.connections: " << socket_mode.connections << "\n"
      << "slack.ack_deadline_ms: " << socket_mode.ack_deadline.count() << "\n"
      << "slack.view_ack_deadline_ms: " << socket_mode.view_ack_deadline.count() << "\n"
      << "slack.ping_interval_ms: " << socket_mode.ping_interval.count() << "\n"
      << "slack.pong_timeout_ms: " << socket_mode.pong_timeout.count() << "\n"
      << "slack.reconnect_min_ms: " << socket_mode.reconnect_min.count() << "\n"
      << "slack.reconnect_max_ms: " << socket_mode.reconnect_max.count() << "\n"
      << "slack.refresh_drain_ms: " << socket_mode.refresh_drain.count() << "\n"
      << "slack.api_timeout_ms: " << api_timeout.count() << "\n"
      << "slack.bulk_posts_per_minute: " << bulk_posts_per_minute << "\n"
      << "bot.workers: " << workers << "\n"
      << "bot.log_level: " << log_level << "\n"
      << "bot.log_format: " << log_format << "\n"
      << "bot.shutdown_grace_ms: " << shutdown_grace.count() << "\n"
      << "store.database: " << store::redact_url(database) << "\n"
      << "store.dedupe_retention_minutes: " << dedupe_retention.count() << "\n"
      << "store.sqlite_synchronous: " << sqlite_synchronous << "\n"
      << "store.postgres_pool_size: " << postgres_pool_size << "\n"
      << "scheduler.poll_interval_ms: " << scheduler_poll_interval.count() << "\n"
      << "scheduler.lease_ms: " << scheduler_lease.count() << "\n";
  for (const auto& file : prompt_files) out << "bot.prompt_files: " << file << "\n";
  const auto joined = [](const std::vector<std::string>& ids) {
    std::string text;
    for (const auto& id : ids) text += (text.empty() ? "" : ", ") + id;
    return text;
  };
  out << "bot.admins: "
      << (admins.empty() ? "(none: nobody sees the team's figures)" : joined(admins)) << "\n";
  if (initiatives.managers.empty()) out << "initiatives.managers: (none)\n";
  for (const auto& [person, managers] : initiatives.managers) {
    out << "initiatives.managers: " << person << " is backed by " << joined(managers) << "\n";
  }
  if (initiatives.channel_leads.empty()) out << "initiatives.leads: (none in the file)\n";
  for (const auto& [channel, leads] : initiatives.channel_leads) {
    out << "initiatives.leads: " << channel << ": " << joined(leads) << "\n";
  }
  static const char* const day_names[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  std::string days;
  for (const int day : initiatives.working_hours.days) {
    days += (days.empty() ? "" : " ") + std::string(day_names[day]);
  }
  const auto clock_time = [](std::chrono::minutes m) {
    return fmt::format("{:02}:{:02}", m.count() / 60, m.count() % 60);
  };
  out << "initiatives.working_days: " << days << "\n"
      << "initiatives.working_hours: " << clock_time(initiatives.working_hours.start) << "-"
      << clock_time(initiatives.working_hours.end) << " (each person's own time zone)\n";
  std::string reminders;
  for (const auto& after : initiatives.reminders_after) {
    reminders += (reminders.empty() ? "" : ", ") + std::to_string(after.count());
  }
  out << "initiatives.reminders_after_working_minutes: "
      << (reminders.empty() ? std::string("(none)") : reminders) << "\n";
  std::string holidays;
  for (const auto& day : nudges.calendar.holidays) holidays += (holidays.empty() ? "" : ", ") + day;
  out << "nudges.quiet_hours: " << clock_text(nudges.calendar.quiet_from) << "-"
      << clock_text(nudges.calendar.quiet_until) << "\n"
      << "nudges.holidays: " << (holidays.empty() ? std::string("(none)") : holidays) << "\n"
      << "nudges.grace_minutes: " << nudges.grace.count() << "\n"
      << "nudges.default_time_zone: " << nudges.default_time_zone << "\n"
      << "nudges.respect_do_not_disturb: " << (nudges.respect_do_not_disturb ? "true" : "false")
      << "\n"
      << "reflect.expire_after_minutes: " << dialogs.expire_after.count() << "\n"
      << "ops.listen: " << (ops_listen.empty() ? std::string("(off)") : ops_listen) << "\n";
  return out.str();
}

}  // namespace ff
