// The operations listener through real HTTP requests: health and readiness,
// and /metrics read with the Prometheus client's own parser (Debian's
// python3-prometheus-client), so the format is checked by what scrapers
// use, not by matching strings.
#include <catch2/catch.hpp>

#include <curl/curl.h>

#include <thread>

#include "bot/schedule/platform_jobs.hpp"
#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;
using namespace std::chrono_literals;

namespace {

struct HttpAnswer {
  long status = 0;
  std::string body;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* into) {
  static_cast<std::string*>(into)->append(data, size * count);
  return size * count;
}

HttpAnswer http(std::uint16_t port, const std::string& path, const char* method = "GET") {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  REQUIRE(curl != nullptr);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  const CURLcode done = curl_easy_perform(curl);
  INFO(curl_easy_strerror(done));
  CHECK(done == CURLE_OK);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  curl_easy_cleanup(curl);
  return answer;
}

// Every sample of an exposition text, as the Prometheus parser read it.
std::vector<nlohmann::json> parsed(const std::string& text) {
  ChildProcess parser({std::string(FF_SOURCE_DIR) + "/tests/ops/parse_metrics.py"}, {}, text,
                      "/usr/bin/python3");
  const int code = parser.wait(20s);
  INFO(parser.err());
  REQUIRE(code == 0);
  std::vector<nlohmann::json> samples;
  std::istringstream lines(parser.out());
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) samples.push_back(nlohmann::json::parse(line));
  }
  return samples;
}

// The value of the sample with this name whose labels include `labels`;
// -1 when there is none.
double value_of(const std::vector<nlohmann::json>& samples, const std::string& name,
                const nlohmann::json& labels = nlohmann::json::object()) {
  for (const auto& sample : samples) {
    if (sample["name"] != name) continue;
    bool matches = true;
    for (const auto& [key, wanted] : labels.items()) {
      if (sample["labels"].value(key, "") != wanted) matches = false;
    }
    if (matches) return sample["value"].get<double>();
  }
  return -1;
}

std::string type_of(const std::vector<nlohmann::json>& samples, const std::string& family) {
  for (const auto& sample : samples) {
    if (sample["family"] == family) return sample["type"];
  }
  return "(none)";
}

Config listening(Config config) {
  config.ops_listen = "127.0.0.1:0";  // a free port, which the listener reports
  return config;
}

}  // namespace

TEST_CASE("ops: /healthz and /readyz answer 200 once connected; other paths 404, POST 405") {
  FakeSlack slack;
  RunningBot bot(slack, listening(test_config(slack)));
  const std::uint16_t port = bot.bot->ops_port();
  REQUIRE(port != 0);
  REQUIRE(bot.bot->client().wait_until_live(1, 5s));
  const HttpAnswer healthy = http(port, "/healthz");
  CHECK(healthy.status == 200);
  CHECK(nlohmann::json::parse(healthy.body)["status"] == "ok");
  CHECK(http(port, "/readyz").status == 200);
  CHECK(http(port, "/healthz?verbose=1").status == 200);
  CHECK(http(port, "/nope").status == 404);
  CHECK(http(port, "/").status == 404);
  CHECK(http(port, "/metrics", "POST").status == 405);

  // Slack gone, and no way back: 503, naming what is wrong.
  slack.override_socket_url("ws://127.0.0.1:1/link");  // a port nobody listens on
  for (const int c : slack.open_connections()) slack.close_abruptly(c);
  HttpAnswer sick;
  for (int i = 0; i < 250; ++i) {
    sick = http(port, "/healthz");
    if (sick.status == 503) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(sick.status == 503);
  const auto body = nlohmann::json::parse(sick.body);
  CHECK(body["status"] == "unhealthy");
  CHECK(body["problems"].dump().find("slack: no live Socket Mode connection") != std::string::npos);
  // Ready stays ready: it says the bot started once, not that it is well.
  CHECK(http(port, "/readyz").status == 200);
}

TEST_CASE("ops: /metrics parses as Prometheus text and moves as envelopes and calls happen") {
  FakeSlack slack;
  RunningBot bot(slack, listening(test_config(slack)));
  const std::uint16_t port = bot.bot->ops_port();
  REQUIRE(bot.bot->client().wait_until_live(1, 5s));
  const int c = slack.open_connections().back();

  const auto before = parsed(http(port, "/metrics").body);
  CHECK(value_of(before, "firstfollower_build_info") == 1);
  CHECK(type_of(before, "firstfollower_ack_latency_seconds") == "histogram");
  CHECK(type_of(before, "firstfollower_handler_queue_depth") == "gauge");
  CHECK(type_of(before, "firstfollower_outgoing_queue_depth") == "gauge");
  CHECK(value_of(before, "firstfollower_outgoing_queue_depth", {{"lane", "bulk"}}) == 0);
  CHECK(value_of(before, "firstfollower_socket_mode_connections_open") == 1);
  const double handled_before =
      std::max(0.0, value_of(before, "firstfollower_envelopes_total",
                             {{"type", "slash_commands"}, {"outcome", "handled"}}));
  const double acks_before =
      std::max(0.0, value_of(before, "firstfollower_ack_latency_seconds_count"));
  const double posts_before =
      std::max(0.0, value_of(before, "firstfollower_web_api_calls_total",
                             {{"method", "chat.postMessage"}, {"result", "ok"}}));

  // Two /coach (answered in their acks) and a DM (answered with a post).
  for (int i = 0; i < 2; ++i) {
    REQUIRE(slack.wait_for_ack(slack.send_slash_command(c, "/coach", ""), 5s));
  }
  slack.send_direct_message(c, "help", "Ev-ops-1");
  REQUIRE(slack.wait_for_calls("chat.postMessage", 1, 5s));

  // The counts move just after the answers: read until the DM is counted.
  std::vector<nlohmann::json> after;
  for (int i = 0; i < 100; ++i) {
    after = parsed(http(port, "/metrics").body);
    if (value_of(after, "firstfollower_envelopes_total",
                 {{"type", "events_api"}, {"outcome", "handled"}}) >= 1 &&
        value_of(after, "firstfollower_ack_latency_seconds_count") >= acks_before + 3)
      break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(value_of(after, "firstfollower_envelopes_total",
                 {{"type", "slash_commands"}, {"outcome", "handled"}}) == handled_before + 2);
  CHECK(value_of(after, "firstfollower_envelopes_total",
                 {{"type", "events_api"}, {"outcome", "handled"}}) >= 1);
  CHECK(value_of(after, "firstfollower_ack_latency_seconds_count") >= acks_before + 3);
  CHECK(value_of(after, "firstfollower_ack_latency_seconds_bucket", {{"le", "+Inf"}}) ==
        value_of(after, "firstfollower_ack_latency_seconds_count"));
  CHECK(value_of(after, "firstfollower_handler_seconds_count", {{"command", "/coach"}}) >= 2);
  CHECK(value_of(after, "firstfollower_web_api_calls_total",
                 {{"method", "chat.postMessage"}, {"result", "ok"}}) >= posts_before + 1);
  CHECK(value_of(after, "firstfollower_dialogs_active") == 0);
  CHECK(value_of(after, "firstfollower_store_errors_total", {{"part", "inbox"}}) == 0);

  // A durable job runs: claimed, then done, by its kind.
  REQUIRE(bot.store->jobs().schedule(
      post_message_job("U0ALICE", "ops-job", SystemClock::instance().now())));
  bot.bot->scheduler().wake();
  for (int i = 0; i < 100; ++i) {
    after = parsed(http(port, "/metrics").body);
    if (value_of(after, "firstfollower_jobs_total",
                 {{"kind", kPostMessageJob}, {"outcome", "done"}}) >= 1)
      break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(value_of(after, "firstfollower_jobs_total",
                 {{"kind", kPostMessageJob}, {"outcome", "claimed"}}) >= 1);
  CHECK(value_of(after, "firstfollower_jobs_total",
                 {{"kind", kPostMessageJob}, {"outcome", "done"}}) >= 1);

  // An action id nobody registered is counted under "unknown": invented
  // names make no new series.
  slack.send_block_action(c, "made_up_action_42", "x", "U0ALICE", "C0GENERAL");
  for (int i = 0; i < 100; ++i) {
    after = parsed(http(port, "/metrics").body);
    if (value_of(after, "firstfollower_handler_seconds_count", {{"command", "unknown"}}) >= 1)
      break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(value_of(after, "firstfollower_handler_seconds_count", {{"command", "unknown"}}) >= 1);
  CHECK(http(port, "/metrics").body.find("made_up_action_42") == std::string::npos);
}

TEST_CASE("binary: an ops listen address that is invalid or taken stops it with exit 2") {
  ChildProcess invalid({"--check-config", "--set", "ops.listen=127.0.0.1:99999"}, {});
  CHECK(invalid.wait(5s) == 2);
  CHECK(invalid.err().find("ops.listen") != std::string::npos);
  CHECK(invalid.err().find("no port from 0 to 65535") != std::string::npos);

  FakeSlack slack;
  RunningBot holder(slack, listening(test_config(slack)));
  const std::string taken = "127.0.0.1:" + std::to_string(holder.bot->ops_port());
  ChildProcess second({"--set", "ops.listen=" + taken}, slack_environment(slack));
  CHECK(second.wait(10s) == 2);
  CHECK(second.err().find("ops.listen: cannot listen on " + taken) != std::string::npos);
}
