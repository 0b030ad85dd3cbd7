// What the logs never hold: the real binary at trace level, in JSON and in
// text, driven down its error paths with secrets it would be easy to spot
// (tokens, ticket URLs, a database password, what a person wrote in a
// dialog). Any line that holds one fails the test.
#include <catch2/catch.hpp>

#include <csignal>
#include <sstream>

#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;
using namespace std::chrono_literals;

namespace {

FakeSlackOptions recognisable_tokens() {
  FakeSlackOptions options;
  options.app_token = "xapp-1-A0FAKE-1-SPOTTHEAPPTOKEN";
  options.bot_token = "xoxb-1-SPOTTHEBOTTOKEN";
  return options;
}

const char* const kAnswer = "Spot-this-private-answer";

// The lines of `log` that hold any of `secrets`, for the failure message.
std::string lines_holding(const std::string& log, const std::vector<std::string>& secrets) {
  std::istringstream lines(log);
  std::string found;
  for (std::string line; std::getline(lines, line);) {
    for (const auto& secret : secrets) {
      if (line.find(secret) != std::string::npos) found += line + "\n";
    }
  }
  return found;
}

// Runs the bot through a dialog, Web API failures, a rate limit, a
// malformed frame and a reconnect; returns what it logged.
std::string run_down_error_paths(const std::string& format) {
  FakeSlack slack(recognisable_tokens());
  auto env = slack_environment(slack);
  env["FIRSTFOLLOWER_BOT_LOG_LEVEL"] = "trace";
  env["FIRSTFOLLOWER_BOT_LOG_FORMAT"] = format;
  ChildProcess bot({"--db", ":memory:"}, env);
  REQUIRE(slack.wait_for_open_connections(1, 10s));
  int c = slack.open_connections().front();
  REQUIRE(slack.wait_for_ack(slack.send_slash_command(c, "/coach", ""), 5s));
  REQUIRE(slack.wait_for_ack(slack.send_slash_command(c, "/reflect", "gap"), 5s));
  REQUIRE(slack.wait_for_calls("chat.postMessage", 1, 5s));
  // The answer is taken, and the post of the next question fails, then is
  // rate limited.
  Fault broken;
  broken.http_status = 500;
  Fault limited;
  limited.http_status = 429;
  limited.retry_after_s = 1;
  slack.queue_method_faults("chat.postMessage", {broken, limited});
  // (A failed post is not tried again: Slack may have made it. A rate
  // limited one is, after Retry-After.)
  slack.send_direct_message(c, kAnswer, "Ev-log-1");
  REQUIRE(slack.wait_for_calls("chat.postMessage", 2, 10s));
  slack.send_direct_message(c, "skip", "Ev-log-2");
  REQUIRE(slack.wait_for_calls("chat.postMessage", 3, 10s));
  slack.send_raw(c, "{not json at all");
  slack.send_disconnect(c, "refresh_requested");
  REQUIRE(slack.wait_for_open_connections(2, 10s));
  c = slack.open_connections().back();
  REQUIRE(slack.wait_for_ack(slack.send_slash_command(c, "/nudges", "every 25:99"), 5s));
  bot.signal(SIGTERM);
  CHECK(bot.wait(10s) == 0);
  const std::string log = bot.err();
  const std::vector<std::string> secrets = {slack.options().app_token, slack.options().bot_token,
                                            "SPOTTHE", "ticket-", kAnswer};
  INFO(lines_holding(log, secrets));
  CHECK(lines_holding(log, secrets).empty());
  return log;
}

}  // namespace

TEST_CASE("logs: JSON lines with their context, and no secret in any of them at trace level") {
  const std::string log = run_down_error_paths("json");
  std::istringstream lines(log);
  int parsed = 0;
  bool with_context = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const auto object = nlohmann::json::parse(line, nullptr, false);
    INFO(line);
    REQUIRE(object.is_object());
    CHECK(object.contains("time"));
    CHECK(object.contains("level"));
    CHECK(object.contains("message"));
    if (object.value("command", "") == "event:message" &&
        object.value("user_id", "") == "U0ALICE" && object.contains("envelope_id") &&
        object.value("message", "").find("HTTP 500") != std::string::npos) {
      with_context = true;
    }
    ++parsed;
  }
  CHECK(parsed > 10);
  CHECK(with_context);  // the failed post names the message it was answering
}

TEST_CASE("logs: no secret in any text line either, and none from a refused token or database") {
  run_down_error_paths("text");

  FakeSlack slack(recognisable_tokens());
  auto env = slack_environment(slack);
  env["FIRSTFOLLOWER_BOT_LOG_LEVEL"] = "trace";
  env["SLACK_APP_TOKEN"] = "xapp-1-SPOTTHEWRONGTOKEN";
  ChildProcess refused({"--db", ":memory:"}, env);
  CHECK(refused.wait(10s) == 2);
  CHECK(refused.err().find("SLACK_APP_TOKEN was refused") != std::string::npos);
  CHECK(refused.err().find("SPOTTHE") == std::string::npos);

  ChildProcess database({"--db", "postgresql://bot:SpotThePassword@127.0.0.1:1/firstfollower",
                         "--log-level", "trace"},
                        slack_environment(slack));
  CHECK(database.wait(20s) == 4);
  CHECK(database.err().find("SpotThePassword") == std::string::npos);
  CHECK(database.err().find("127.0.0.1:1") != std::string::npos);  // it says where it tried
}
