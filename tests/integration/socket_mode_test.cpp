// The real Socket Mode client and handlers against the fake Slack, in process.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <future>
#include <set>
#include <thread>

#include "bot/slack/dedupe.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "bot/slack/web_api.hpp"
#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;

namespace {

int first_connection(const FakeSlack& slack) {
  REQUIRE(slack.wait_for_open_connections(1, 5s));
  return slack.open_connections().front();
}

// Waits, up to `timeout`, for an effect the test cannot be told about.
bool eventually(const std::function<bool()>& happened, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!happened()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Holds a handler until the test opens it, and always opens it in the end:
// a handler left blocked would hold the worker pool's join for ever.
class Gate {
 public:
  ~Gate() { open(); }
  void open() {
    if (!opened_.exchange(true)) release_.set_value();
  }
  std::shared_future<void> opened() const { return released_; }

 private:
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::atomic<bool> opened_{false};
};

// The real Socket Mode client on a clock that moves only when the test moves
// it, with handlers the test registers, against the fake. Only the client
// gets the manual clock: its deadlines are what these tests are about.
struct ClientOnManualClock {
  explicit ClientOnManualClock(SocketModeOptions options)
      : client(
            options, [this] { return open_ticket(); }, dispatcher, clock) {}
  ~ClientOnManualClock() {
    client.shutdown(1s);
    workers.shutdown();
  }

  void start() { client.start(); }

  ConnectionTicket open_ticket() {
    ConnectionTicket ticket;
    const ApiResult result = app_api.call("apps.connections.open", nlohmann::json::object());
    ticket.url = result.body.value("url", "");
    if (!result.ok || ticket.url.empty()) ticket.error = result.ok ? "no url" : result.error;
    return ticket;
  }

  FakeSlack slack;
  ManualClock clock;
  WebApiClient app_api{slack.api_url(), slack.options().app_token, SystemClock::instance()};
  WebApiClient bot_api{slack.api_url(), slack.options().bot_token, SystemClock::instance()};
  WebSlackApi web{bot_api};
  EnvelopeRouter router;
  MemoryInbox inbox{SystemClock::instance(), 300s, 1000};
  WorkerPool workers{2};
  Dispatcher dispatcher{router, web, inbox, workers};
  SocketModeClient client;
};

// The socket thread checks a few times per shortest deadline, on real time,
// so these stay short; what falls due is up to the manual clock.
SocketModeOptions manual_clock_options() {
  SocketModeOptions options;
  options.ack_deadline = 100ms;
  options.ping_interval = 500ms;
  options.pong_timeout = 1000ms;
  options.reconnect_min = 20ms;
  options.reconnect_max = 200ms;
  return options;
}

}  // namespace

TEST_CASE("/coach over Socket Mode is answered in its ack") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = first_connection(slack);
  const auto id = slack.send_slash_command(c, "/coach", "strategy");
  const auto ack = slack.wait_for_ack(id, 5s);
  REQUIRE(ack);
  CHECK((*ack)["envelope_id"] == id);
  const auto& payload = (*ack)["payload"];
  CHECK(payload["response_type"] == "in_channel");
  REQUIRE(payload["blocks"].is_array());
  const std::string question = payload["blocks"][0]["text"]["text"];
  bool from_strategy = false;
  for (const auto* p : shipped_prompts().in_category("strategy")) {
    from_strategy |= question.find(p->text.substr(0, 20)) != std::string::npos;
  }
  CHECK(from_strategy);
  CHECK(payload["blocks"][2]["elements"][0]["action_id"] == "coach_another");
  // apps.connections.open used the app token, auth.test the bot token.
  const auto opens = slack.calls("apps.connections.open");
  REQUIRE_FALSE(opens.empty());
  CHECK(opens[0].authorization == "Bearer " + slack.options().app_token);
}

TEST_CASE("a command whose envelope takes no payload is answered through response_url") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = first_connection(slack);
  const auto id = slack.send_slash_command(c, "/coach", "", /*accepts_response_payload=*/false);
  const auto ack = slack.wait_for_ack(id, 5s);
  REQUIRE(ack);
  CHECK_FALSE(ack->contains("payload"));
  REQUIRE(slack.wait_for_calls("response_url", 1, 5s));
  const auto reply = slack.calls("response_url").front();
  CHECK(reply.authorization.empty());  // the bot token never goes to a response_url
  CHECK(reply.content_type.find("application/json") == 0);
  CHECK(reply.json["response_type"] == "in_channel");
}

TEST_CASE("pressing Another question replaces the card through response_url") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = first_connection(slack);
  const auto id = slack.send_block_action(c, "coach_another", "gap");
  REQUIRE(slack.wait_for_ack(id, 5s));
  REQUIRE(slack.wait_for_calls("response_url", 1, 5s));
  const auto reply = slack.calls("response_url").front().json;
  CHECK(reply["replace_original"] == true);
  CHECK(reply["blocks"][2]["elements"][0]["value"] == "gap");
}

TEST_CASE("help in a direct message is answered with chat.postMessage") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = first_connection(slack);
  slack.send_direct_message(c, "help", "Ev0001");
  REQUIRE(slack.wait_for_calls("chat.postMessage", 1, 5s));
  const auto post = slack.calls("chat.postMessage").front();
  CHECK(post.authorization == "Bearer " + slack.options().bot_token);
  CHECK(post.content_type == "application/json; charset=utf-8");
  CHECK(post.json["channel"] == "D0ALICE");
  CHECK(post.json["text"].get<std::string>().find("lead leaders") != std::string::npos);
}

TEST_CASE("a redelivered envelope and a retried event are handled once") {
  FakeSlack slack;
  RunningBot bot(slack);
  const int c = first_connection(slack);
  slack.send_slash_command(c, "/coach", "", true, "env-same");
  slack.send_slash_command(c, "/coach", "", true, "env-same");
  slack.send_direct_message(c, "help", "EvRetried", 0);
  slack.send_direct_message(c, "help", "EvRetried", 1);
  eventually([&] { return slack.acks("env-same").size() >= 2; });
  const auto acks = slack.acks("env-same");
  REQUIRE(acks.size() == 2);                                          // both deliveries acked ...
  CHECK(acks[0].contains("payload") != acks[1].contains("payload"));  // ... one answered
  REQUIRE(slack.wait_for_calls("chat.postMessage", 1, 5s));
  // A duplicate handled anyway would have posted by now.
  std::this_thread::sleep_for(300ms);
  CHECK(slack.calls("chat.postMessage").size() == 1);
  CHECK(bot.bot->dispatcher().counters().duplicates == 2);
}

TEST_CASE("several connections at once, with envelopes spread across them") {
  FakeSlack slack;
  RunningBot bot(slack, 3);
  REQUIRE(slack.wait_for_open_connections(3, 5s));
  REQUIRE(bot.bot->client().wait_until_live(3, 5s));
  std::vector<std::string> ids;
  for (int c : slack.open_connections()) {
    for (int i = 0; i < 10; ++i) ids.push_back(slack.send_slash_command(c, "/coach", ""));
  }
  for (const auto& id : ids) {
    const auto ack = slack.wait_for_ack(id, 5s);
    REQUIRE(ack);
    CHECK(ack->contains("payload"));
  }
  std::set<int> answered_on;
  for (const auto& id : ids) answered_on.insert(*slack.ack_connection(id));
  CHECK(answered_on.size() == 3);  // every ack went back on its own connection
}

TEST_CASE("wss:// with a certificate the system trusts, and refusal of one for another host") {
  const std::string folder = make_temp_folder();
  const auto good = make_test_certificates(folder, "localhost");
  setenv("SSL_CERT_FILE", good.ca_file.c_str(), 1);
  {
    FakeSlackOptions options;
    options.tls_certificate = good.certificate_file;
    options.tls_private_key = good.key_file;
    FakeSlack slack(options);
    RunningBot bot(slack);
    const int c = first_connection(slack);
    const auto id = slack.send_slash_command(c, "/coach", "");
    REQUIRE(slack.wait_for_ack(id, 5s));
  }
  // A valid certificate, signed by the trusted CA, but for another name. Its
  // folder goes only after the bot and the fake have stopped: the fake reads
  // the certificate on every connection the bot retries.
  const std::string other_folder = make_temp_folder();
  {
    const auto other = make_test_certificates(other_folder, "elsewhere.example");
    setenv("SSL_CERT_FILE", other.ca_file.c_str(), 1);
    FakeSlackOptions options;
    options.tls_certificate = other.certificate_file;
    options.tls_private_key = other.key_file;
    FakeSlack slack(options);
    RunningBot bot(slack);
    // Refused, and retried with back-off.
    CHECK(eventually([&] { return bot.bot->client().stats().open_failures >= 2; }));
    CHECK(slack.open_connections().empty());
  }
  std::system(("rm -rf " + other_folder).c_str());
  unsetenv("SSL_CERT_FILE");
  std::system(("rm -rf " + folder).c_str());
}

TEST_CASE("unencrypted ws:// is refused for a host that is not loopback") {
  FakeSlack slack;
  slack.override_socket_url("ws://slack.example.com:80");
  RunningBot bot(slack);
  REQUIRE(slack.wait_for_calls("apps.connections.open", 2, 5s));
  CHECK(slack.connections_accepted() == 0);
}

TEST_CASE("an envelope whose handler is slow is acked empty when the clock reaches the deadline") {
  SocketModeOptions options = manual_clock_options();
  // A ping falls due before the ack deadline; seeing it tells the test that
  // the client has checked its deadlines at the moved time.
  options.ping_interval = 50ms;
  options.pong_timeout = 10s;
  ClientOnManualClock bot(options);
  Gate gate;
  std::promise<void> slow_started;
  auto routes = bot.router.feature("test");
  routes.command("/slow", [&slow_started, opened = gate.opened()](const SlashCommand&) {
    slow_started.set_value();
    opened.wait();
    return Reply::with(Message::plain("late answer"));
  });
  routes.command("/fast",
                 [](const SlashCommand&) { return Reply::with(Message::plain("quick answer")); });
  bot.start();
  const int c = first_connection(bot.slack);
  REQUIRE(bot.client.wait_until_live(1, 5s));

  const auto slow = bot.slack.send_slash_command(c, "/slow", "");
  // Its deadline was set on arrival, before the handler started.
  REQUIRE(slow_started.get_future().wait_for(5s) == std::future_status::ready);

  bot.clock.advance(options.ack_deadline - 1ms);
  REQUIRE(bot.slack.wait_for_pings(c, 1, 5s));
  // Another person's command, answered by its handler. The socket thread
  // sends frames in order, so had the check at the moved time acked /slow,
  // that ack would have arrived first.
  const auto fast = bot.slack.send_slash_command(c, "/fast", "", true, {}, "U0BOB");
  const auto fast_ack = bot.slack.wait_for_ack(fast, 5s);
  REQUIRE(fast_ack);
  CHECK((*fast_ack)["payload"]["text"] == "quick answer");
  CHECK(bot.slack.acks(slow).empty());

  bot.clock.advance(1ms);
  const auto slow_ack = bot.slack.wait_for_ack(slow, 5s);
  REQUIRE(slow_ack);
  CHECK_FALSE(slow_ack->contains("payload"));

  // The answer it gives once released travels through response_url.
  gate.open();
  REQUIRE(bot.slack.wait_for_calls("response_url", 1, 5s));
  CHECK(bot.slack.calls("response_url").front().json["text"] == "late answer");
  CHECK(bot.slack.acks(slow).size() == 1);
}

TEST_CASE(
    "a socket that stops answering pings is replaced once the clock passes the pong timeout") {
  SocketModeOptions options = manual_clock_options();
  // A second connection keeps answering: its pings and envelopes show the
  // test when the client has checked the silent one at the moved time. It
  // is pinged again before the silent one's pong is overdue.
  options.connections = 2;
  REQUIRE(options.ping_interval < options.pong_timeout);
  ClientOnManualClock bot(options);
  auto routes = bot.router.feature("test");
  routes.command("/fast",
                 [](const SlashCommand&) { return Reply::with(Message::plain("quick answer")); });
  bot.start();
  REQUIRE(bot.slack.wait_for_open_connections(2, 5s));
  REQUIRE(bot.client.wait_until_live(2, 5s));
  const auto open = bot.slack.open_connections();
  const int silent = open.front();
  const int healthy = open.back();
  bot.slack.go_silent(silent);
  // An envelope answered on the healthy connection: the fake sent it after
  // its pong, and the socket thread reads frames one at a time, so once it
  // is acked the client has taken the pong (at the clock's time then) and
  // finished any check it was in.
  const auto round_trip = [&] {
    return bot.slack.wait_for_ack(bot.slack.send_slash_command(healthy, "/fast", ""), 5s)
        .has_value();
  };

  // Quiet for ping_interval: both are pinged; only the healthy one answers.
  bot.clock.advance(options.ping_interval);
  REQUIRE(bot.slack.wait_for_pings(silent, 1, 5s));
  REQUIRE(bot.slack.wait_for_pings(healthy, 1, 5s));
  REQUIRE(round_trip());

  // Just under the pong timeout: the healthy one is due its next ping, the
  // silent one is not dead yet.
  bot.clock.advance(options.pong_timeout - 1ms);
  REQUIRE(bot.slack.wait_for_pings(healthy, 2, 5s));
  REQUIRE(round_trip());
  CHECK(bot.client.stats().dead_sockets == 0);
  CHECK(bot.slack.connections_accepted() == 2);

  bot.clock.advance(1ms);
  REQUIRE(eventually([&] { return bot.slack.connections_accepted() == 3; }));
  CHECK(bot.client.stats().dead_sockets == 1);
  REQUIRE(eventually([&] {
    const auto now_open = bot.slack.open_connections();
    return now_open.size() == 2 &&
           std::find(now_open.begin(), now_open.end(), silent) == now_open.end();
  }));
  REQUIRE(bot.client.wait_until_live(2, 5s));
  const auto replacement = bot.slack.open_connections().back();
  CHECK(replacement != healthy);
  const auto answered = bot.slack.send_slash_command(replacement, "/fast", "");
  REQUIRE(bot.slack.wait_for_ack(answered, 5s));
}
