// The Web API client against the fake: which calls reuse a connection, and
// what the HTTP layer must never send twice.
#include <catch2/catch.hpp>

#include "bot/slack/web_api.hpp"
#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;

namespace {

// No real waits: the rate limiter's pauses are not what these tests are about.
WebApiOptions without_waits() {
  WebApiOptions options;
  options.sleep = [](std::chrono::milliseconds) {};
  return options;
}

Fault reset_after_reading() {
  Fault fault;
  fault.reset_after_reading = true;
  return fault;
}

// The fake, and the Web API client pointed at it, with no real waits.
struct ApiAgainstFake {
  FakeSlack slack;
  WebApiClient client{slack.api_url(), slack.options().bot_token, SystemClock::instance(),
                      without_waits()};
  WebSlackApi api{client};
};

}  // namespace

TEST_CASE_METHOD(
    ApiAgainstFake,
    "a post whose connection is reset after Slack read it is sent once and reported failed") {
  // A read first, so a live connection waits to be reused: the case in
  // which libcurl would quietly send the request again on a new one.
  REQUIRE(api.user_info("U0ALICE").ok);
  slack.queue_method_faults("chat.postMessage", {reset_after_reading()});

  const ApiResult posted = api.post_message("C0GENERAL", Message::plain("Faster code reviews"));

  CHECK(slack.calls("chat.postMessage").size() == 1);
  CHECK_FALSE(posted.ok);
  CHECK(posted.error.rfind("transport_error", 0) == 0);
  CHECK_FALSE(posted.nothing_done);  // Slack may well have posted it
  // The next post goes through as usual.
  CHECK(api.post_message("C0GENERAL", Message::plain("second")).ok);
  CHECK(slack.calls("chat.postMessage").size() == 2);
}

TEST_CASE_METHOD(ApiAgainstFake, "a response_url post whose connection is reset is sent once") {
  REQUIRE(client.call("auth.test", nlohmann::json::object()).ok);
  const std::string api_url = slack.api_url();  // http://127.0.0.1:PORT/api/
  const std::string url = api_url.substr(0, api_url.size() - 5) + "/response/1";
  slack.queue_method_faults("response_url", {reset_after_reading()});
  const ApiResult answered = client.post_to_response_url(url, {{"text", "done"}});
  CHECK_FALSE(answered.ok);
  CHECK(slack.calls("response_url").size() == 1);
}

TEST_CASE_METHOD(ApiAgainstFake,
                 "reads share a kept-alive connection, and each non-idempotent call has its own") {
  REQUIRE(api.user_info("U0ALICE").ok);
  REQUIRE(api.user_info("U0BOB").ok);
  REQUIRE(client.call("auth.test", nlohmann::json::object()).ok);
  CHECK(slack.api_connections_accepted() == 1);

  REQUIRE(api.post_message("C0GENERAL", Message::plain("one")).ok);
  REQUIRE(api.post_message("C0GENERAL", Message::plain("two")).ok);
  CHECK(slack.api_connections_accepted() == 3);

  // The reads' connection outlived the posts.
  REQUIRE(api.user_info("U0CAROL").ok);
  CHECK(slack.api_connections_accepted() == 3);
}

TEST_CASE_METHOD(ApiAgainstFake,
                 "a read whose reused connection is reset is tried again and answered") {
  REQUIRE(api.user_info("U0ALICE").ok);
  slack.queue_method_faults("users.info", {reset_after_reading()});
  // Repeating a read is harmless, so libcurl's quiet retry (or ours) may
  // answer it; either way the caller gets the person.
  const auto lookup = api.look_up_user("U0BOB");
  CHECK(lookup.result.ok);
  CHECK(slack.calls("users.info").size() == 3);
}
