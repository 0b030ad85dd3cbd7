// The real binary, started as a person or an operator would start it.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

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

TEST_CASE("binary: SIGTERM and SIGINT end the console cleanly, with exit 0") {
  for (const int signal_number : {SIGTERM, SIGINT}) {
    // Input stays open: the console waits for a line, as at a terminal.
    ChildProcess bot({"--db", ":memory:"}, {}, "/coach\n", FF_BINARY, Stdin::kStaysOpen);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (bot.out().find(":thought_balloon:") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(bot.out().find(":thought_balloon:") != std::string::npos);
    bot.signal(signal_number);
    // Half a second as a rule; generous for a sanitizer build on a busy machine.
    CHECK(bot.wait(15s) == 0);
    CHECK(bot.out().find("Bye.") != std::string::npos);
  }
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
  CHECK(ok.out().find("dialogs: gap, options, follow, leaders\n") != std::string::npos);
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

TEST_CASE("binary: a misspelled FIRSTFOLLOWER_ variable stops it, naming the setting meant") {
  ChildProcess typo({"--check-config"}, {{"FIRSTFOLLOWER_BOT_ADMIN", "U0ALEX"}});
  CHECK(typo.wait(5s) == 2);
  CHECK(typo.err().find("FIRSTFOLLOWER_BOT_ADMIN is not a setting (did you mean "
                        "FIRSTFOLLOWER_BOT_ADMINS?)") != std::string::npos);
  ChildProcess listed({"--check-config"}, {{"FIRSTFOLLOWER_BOT_ADMINS", "U0ALEX,U0SAM"}});
  CHECK(listed.wait(5s) == 0);
  CHECK(listed.out().find("bot.admins: U0ALEX, U0SAM\n") != std::string::npos);
  CHECK(listed.out().find("initiatives.working_hours: 09:00-17:00") != std::string::npos);
}
