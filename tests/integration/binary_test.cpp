// The real binary, started as a person or an operator would start it.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;

TEST_CASE("binary: console mode answers /coach from piped input and exits at end of input") {
  ChildProcess bot({}, {}, "/coach\nhelp\n");
  REQUIRE(bot.wait(10s) == 0);
  CHECK(bot.out().find("firstfollower console") != std::string::npos);
  CHECK(bot.out().find(":thought_balloon:") != std::string::npos);
  CHECK(bot.out().find("[1] Another question") != std::string::npos);
  CHECK(bot.out().find("(direct message)") != std::string::npos);
}

TEST_CASE("binary: connects, answers, and exits 0 within 5 s of SIGTERM") {
  FakeSlack slack;
  auto env = slack_environment(slack);
  env["FIRSTFOLLOWER_BOT_LOG_LEVEL"] = "trace";
  ChildProcess bot({}, env);
  REQUIRE(slack.wait_for_open_connections(1, 10s));
  const auto id = slack.send_slash_command(slack.open_connections().front(), "/coach", "");
  REQUIRE(slack.wait_for_ack(id, 5s));
  const auto start = std::chrono::steady_clock::now();
  bot.signal(SIGTERM);
  CHECK(bot.wait(5s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  // Even at trace level, no token reaches the log.
  CHECK(bot.err().find(slack.options().app_token) == std::string::npos);
  CHECK(bot.err().find(slack.options().bot_token) == std::string::npos);
  CHECK(bot.err().find("ticket-") == std::string::npos);
  CHECK(bot.err().find("SIGTERM received") != std::string::npos);
}

TEST_CASE("binary: link_disabled exits non-zero with a clear message") {
  FakeSlack slack;
  ChildProcess bot({}, slack_environment(slack));
  REQUIRE(slack.wait_for_open_connections(1, 10s));
  slack.send_disconnect(slack.open_connections().front(), "link_disabled");
  CHECK(bot.wait(5s) == 3);
  CHECK(bot.err().find("link_disabled") != std::string::npos);
}

TEST_CASE("binary: a token of the wrong kind is a clear error, not a retry loop") {
  FakeSlack slack;
  auto env = slack_environment(slack);
  env["SLACK_APP_TOKEN"] = slack.options().bot_token;
  ChildProcess bot({}, env);
  CHECK(bot.wait(5s) == 2);
  CHECK(bot.err().find("SLACK_APP_TOKEN holds a bot token (xoxb-)") != std::string::npos);
  CHECK(bot.err().find(slack.options().bot_token) == std::string::npos);
  CHECK(slack.calls("apps.connections.open").empty());
}

TEST_CASE("binary: invalid_auth from Slack exits 2 naming the variable") {
  FakeSlack slack;
  auto env = slack_environment(slack);
  env["SLACK_APP_TOKEN"] = "xapp-1-not-the-right-one";
  ChildProcess bot({}, env);
  CHECK(bot.wait(5s) == 2);
  CHECK(bot.err().find("SLACK_APP_TOKEN was refused by Slack (invalid_auth)") != std::string::npos);
}

TEST_CASE("binary: --check-config validates and a broken prompt file names file and line") {
  ChildProcess ok({"--check-config"}, {});
  CHECK(ok.wait(5s) == 0);
  CHECK(ok.out().find("configuration OK") != std::string::npos);
  // Looking creates nothing: no database file, no journal beside it.
  CHECK(ok.out().find("does not exist yet") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(ok.folder() + "/firstfollower.db"));
  CHECK_FALSE(std::filesystem::exists(ok.folder() + "/firstfollower.db-wal"));
  const std::string folder = make_temp_folder();
  std::ofstream(folder + "/bad.toml")
      << "[categories]\ngap = \"x\"\n\n[[prompt]]\nid = \"a\"\ncategory = \"gap\"\n";
  ChildProcess bad({"--check-config", "--prompts", folder + "/bad.toml"}, {});
  CHECK(bad.wait(5s) == 2);
  CHECK(bad.out().find(folder + "/bad.toml:4: missing 'practice'") != std::string::npos);
  std::system(("rm -rf " + folder).c_str());
}
