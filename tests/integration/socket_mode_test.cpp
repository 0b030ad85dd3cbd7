// The real Socket Mode client and handlers against the fake Slack, in process.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;

namespace {
int first_connection(const FakeSlack& slack) {
  REQUIRE(slack.wait_for_open_connections(1, 5s));
  return slack.open_connections().front();
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
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (slack.acks("env-same").size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  const auto acks = slack.acks("env-same");
  REQUIRE(acks.size() == 2);                                          // both deliveries acked ...
  CHECK(acks[0].contains("payload") != acks[1].contains("payload"));  // ... one answered
  REQUIRE(slack.wait_for_calls("chat.postMessage", 1, 5s));
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
    std::this_thread::sleep_for(800ms);
    CHECK(slack.open_connections().empty());
    CHECK(bot.bot->client().stats().open_failures >= 2);  // refused, and retried with back-off
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
