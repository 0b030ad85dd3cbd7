// Every fault the Socket Mode client claims to survive, injected by the fake.
#include <catch2/catch.hpp>

#include <set>

#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;

namespace {

int live_connection(const FakeSlack& slack, const RunningBot& bot) {
  REQUIRE(slack.wait_for_open_connections(1, 5s));
  REQUIRE(bot.bot->client().wait_until_live(1, 5s));
  return slack.open_connections().back();
}

// Sends /coach on whichever connection is open until one answers in time.
std::chrono::milliseconds time_to_answer(FakeSlack& slack, std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    const auto open = slack.open_connections();
    if (!open.empty()) {
      std::string id;
      try {
        id = slack.send_slash_command(open.back(), "/coach", "");
      } catch (const std::runtime_error&) {
        continue;  // closed between the look and the send
      }
      if (slack.wait_for_ack(id, 100ms)) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
      }
    } else {
      std::this_thread::sleep_for(10ms);
    }
  }
  return limit;
}

// Replies that reached Slack for these envelopes: payload acks plus
// response_url posts (none are expected here).
std::size_t answered(const FakeSlack& slack, const std::vector<std::string>& ids) {
  std::size_t n = 0;
  for (const auto& id : ids) {
    for (const auto& ack : slack.acks(id)) n += ack.contains("payload") ? 1 : 0;
  }
  return n + slack.calls("response_url").size();
}

}  // namespace

TEST_CASE("refresh_requested with envelopes in flight loses none and doubles none") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int old_connection = live_connection(slack, bot);
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i)
    ids.push_back(slack.send_slash_command(old_connection, "/coach", ""));
  slack.send_disconnect(old_connection, "refresh_requested");
  // Slack may keep routing to the old socket until it is closed.
  for (int i = 0; i < 100; ++i) {
    // The old socket may close between the look and the send; then the
    // envelope goes to the new one, as Slack would do.
    for (int attempt = 0; attempt < 50; ++attempt) {
      const auto open = slack.open_connections();
      const bool old_open = std::find(open.begin(), open.end(), old_connection) != open.end();
      try {
        ids.push_back(
            slack.send_slash_command(old_open ? old_connection : open.back(), "/coach", ""));
        break;
      } catch (const std::runtime_error&) {
        std::this_thread::sleep_for(10ms);
      }
    }
  }
  for (const auto& id : ids) REQUIRE(slack.wait_for_ack(id, 5s));
  // The replacement was open before the old one closed.
  CHECK(slack.max_open_connections() == 2);
  for (const auto& id : ids) REQUIRE(slack.wait_for_ack(id, 5s));
  std::this_thread::sleep_for(1s);  // let the drain finish and any redelivery arrive
  CHECK(answered(slack, ids) == ids.size());
  const auto open = slack.open_connections();
  CHECK(open.size() == 1);
  CHECK(std::find(open.begin(), open.end(), old_connection) == open.end());
}

TEST_CASE("warning opens the replacement first and keeps answering") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int old_connection = live_connection(slack, bot);
  slack.send_disconnect(old_connection, "warning");
  // The old socket still works after a warning; the fake sends this before
  // the bot has even read the warning.
  const auto id = slack.send_slash_command(old_connection, "/coach", "");
  REQUIRE(slack.wait_for_ack(id, 5s));
  CHECK(*slack.ack_connection(id) == old_connection);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (slack.connections_accepted() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  std::this_thread::sleep_for(800ms);
  CHECK(slack.max_open_connections() == 2);
  const auto open = slack.open_connections();
  REQUIRE(open.size() == 1);
  CHECK(open.front() != old_connection);
  CHECK(time_to_answer(slack, 2s) < 2s);
}

TEST_CASE("link_disabled stops the client with a clear outcome") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = live_connection(slack, bot);
  slack.send_disconnect(c, "link_disabled");
  CHECK(bot.bot->client().wait(5s) == ClientOutcome::kLinkDisabled);
  CHECK(bot.bot->client().outcome_message().find("Socket Mode") != std::string::npos);
}

TEST_CASE("after an abrupt close the bot answers again within 2 s") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = live_connection(slack, bot);
  slack.close_abruptly(c);
  const auto took = time_to_answer(slack, 5s);
  CHECK(took < 2s);
  WARN("answering again after an abrupt close took " << took.count() << " ms");
}

TEST_CASE("a half-open socket is replaced once the bot's clock passes the keep-alive timeout") {
  FakeSlack slack;
  slack.set_redeliver_unacked(false);
  ManualClock clock;
  RunningBot bot(slack, test_config(slack), clock);
  const int c = live_connection(slack, bot);
  slack.go_silent(c);
  // Quiet for the ping interval: pinged, and the silent side never answers.
  clock.advance(bot.config.socket_mode.ping_interval);
  REQUIRE(slack.wait_for_pings(c, 1, 5s));
  CHECK(slack.calls("apps.connections.open").size() == 1);
  clock.advance(bot.config.socket_mode.pong_timeout + 1ms);
  REQUIRE(slack.wait_for_calls("apps.connections.open", 2, 5s));
  REQUIRE(bot.bot->client().wait_until_live(1, 5s));
  CHECK(bot.bot->client().stats().dead_sockets == 1);
  CHECK(time_to_answer(slack, 3s) < 3s);
}

TEST_CASE("apps.connections.open failures are retried with back-off") {
  FakeSlack slack;
  slack.queue_connections_open_faults({{500, "", 0}, {200, "internal_error", 0}, {429, "", 1}});
  RunningBot bot(slack);
  REQUIRE(slack.wait_for_open_connections(1, 8s));
  CHECK(slack.calls("apps.connections.open").size() >= 4);
  CHECK(time_to_answer(slack, 2s) < 2s);
}

TEST_CASE("too_many_websockets backs off instead of hammering Slack") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = live_connection(slack, bot);
  slack.send_disconnect(c, "too_many_websockets");
  REQUIRE(slack.wait_for_calls("apps.connections.open", 2, 5s));
  CHECK(time_to_answer(slack, 3s) < 3s);
}

TEST_CASE("a refused app token stops the client instead of retrying forever") {
  FakeSlack slack;
  Config config = test_config(slack);
  config.app_token = "xapp-1-wrong";
  RunningBot bot(slack, config);
  CHECK(bot.bot->client().wait(5s) == ClientOutcome::kAuthFailed);
  CHECK(bot.bot->client().outcome_message().find("SLACK_APP_TOKEN") != std::string::npos);
  CHECK(bot.bot->client().outcome_message().find("xapp-1-wrong") == std::string::npos);
  CHECK(slack.calls("apps.connections.open").size() == 1);
}

TEST_CASE("a refused bot token is reported at start, naming the variable") {
  FakeSlack slack;
  Config config = test_config(slack);
  config.bot_token = "xoxb-revoked";
  auto state = store::SqlStore::open(config.database, {}, SystemClock::instance());
  SlackBot bot(config, shipped_prompts(), *state);
  const auto refused = bot.verify_bot_token();
  REQUIRE(refused);
  CHECK(refused->find("SLACK_BOT_TOKEN was refused by Slack (invalid_auth)") == 0);
}

TEST_CASE("HTTP 429 with Retry-After is honoured and the call retried once it passes") {
  FakeSlack slack;
  slack.queue_method_faults("chat.postMessage", {{429, "", 1}});
  RunningBot bot(slack);
  const int c = live_connection(slack, bot);
  const auto start = std::chrono::steady_clock::now();
  slack.send_direct_message(c, "help", "Ev429");
  REQUIRE(slack.wait_for_calls("chat.postMessage", 2, 5s));
  CHECK(std::chrono::steady_clock::now() - start >= 1s);
  std::this_thread::sleep_for(200ms);
  CHECK(slack.calls("chat.postMessage").size() == 2);  // one refused, one delivered, no more
}

TEST_CASE("malformed frames get logged and acked where possible, and lose nothing") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = live_connection(slack, bot);
  slack.send_raw(c, "{not json");
  slack.send_raw(c, R"({"type":"mystery","envelope_id":"env-unknown","payload":{}})");
  slack.send_raw(c, R"({"type":"slash_commands","payload":{"command":"/coach"}})");
  slack.send_raw(c,
                 R"({"type":"slash_commands","envelope_id":"env-bad","payload":{"command":42}})");
  const std::string big(1024 * 1024, 'x');
  slack.send_raw(
      c,
      R"({"type":"slash_commands","envelope_id":"env-huge","payload":{"command":"/coach","user_id":"U0ALICE","channel_id":"C0GENERAL","text":")" +
          big + R"("}})");
  // Hostile: a form's state nested 100,000 deep, and a lone surrogate.
  slack.send_raw(c, R"({"type":"interactive","envelope_id":"env-deep","payload":{"view":)" +
                        std::string(100000, '[') + std::string(100000, ']') + "}}");
  slack.send_raw(
      c, R"({"type":"slash_commands","envelope_id":"env-surrogate","payload":{"text":"\ud800"}})");
  CHECK(slack.wait_for_ack("env-unknown", 5s));
  CHECK(slack.wait_for_ack("env-bad", 5s));
  CHECK(slack.wait_for_ack("env-huge", 5s));
  CHECK(slack.wait_for_ack("env-deep", 5s));
  CHECK(slack.wait_for_ack("env-surrogate", 5s));
  const auto id = slack.send_slash_command(c, "/coach", "");
  const auto ack = slack.wait_for_ack(id, 5s);
  REQUIRE(ack);
  CHECK(ack->contains("payload"));
  CHECK(bot.bot->client().stats().malformed_frames == 7);
  CHECK(slack.open_connections().size() == 1);  // the connection survived all of it
}

TEST_CASE("an unknown command is acked, answered with a hint and counted") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = live_connection(slack, bot);
  const auto id = slack.send_slash_command(c, "/nonexistent", "");
  const auto ack = slack.wait_for_ack(id, 5s);
  REQUIRE(ack);
  CHECK((*ack)["payload"]["text"].get<std::string>().find("/coach help") != std::string::npos);
  CHECK(bot.bot->unknown_requests() == 1);
}
