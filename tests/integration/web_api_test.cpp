// The Web API client against the fake: which calls reuse a connection, and
// what the HTTP layer must never send twice.
#include <catch2/catch.hpp>

#include <mutex>
#include <vector>

#include "bot/slack/lane.hpp"
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

namespace {

// The client, with its waits recorded instead of slept.
struct ApiWithRecordedWaits {
  FakeSlack slack;
  std::mutex mutex;
  std::vector<std::chrono::milliseconds> waits;
  WebApiOptions recording() {
    WebApiOptions options;
    options.sleep = [this](std::chrono::milliseconds d) {
      std::lock_guard lock(mutex);
      waits.push_back(d);
    };
    return options;
  }
  WebApiClient client{slack.api_url(), slack.options().bot_token, SystemClock::instance(),
                      recording()};
  WebSlackApi api{client};
};

}  // namespace

TEST_CASE_METHOD(ApiWithRecordedWaits,
                 "a 429 on a post to one channel holds posts to every channel until it passes") {
  slack.queue_method_faults("chat.postMessage", {Fault{429, "", 2}});
  REQUIRE(api.post_message("D0ALICE", Message::plain("one")).ok);
  // The post waited out the pause, then went.
  REQUIRE(waits.size() == 1);
  CHECK(waits[0] > 1900ms);
  CHECK(waits[0] <= 2000ms);
  // The pause is Slack's for the method: a post to another channel, made at
  // once (no time really passed), waits for what is left of it.
  REQUIRE(api.post_message("D0BOB", Message::plain("two")).ok);
  REQUIRE(waits.size() == 2);
  CHECK(waits[1] > 1800ms);
  // Another method does not wait.
  REQUIRE(api.user_info("U0ALICE").ok);
  CHECK(waits.size() == 2);
  CHECK(slack.calls("chat.postMessage").size() == 3);
}

TEST_CASE_METHOD(ApiWithRecordedWaits,
                 "bulk work waits out a long 429 storm, and a person's call is told after three") {
  // Six 429s in a row: more than a person's three tries.
  slack.queue_method_faults("chat.postMessage", std::vector<Fault>(6, Fault{429, "", 1}));
  const ApiResult for_a_person = api.post_message("C0TEAM", Message::plain("reply"));
  CHECK_FALSE(for_a_person.ok);
  CHECK(for_a_person.error == "ratelimited");
  CHECK(for_a_person.nothing_done);
  CHECK(slack.calls("chat.postMessage").size() == 3);

  // The other three 429s, then a bulk post that waits them out and goes.
  {
    const BulkWork bulk;
    const ApiResult nudge = api.post_message("D0ALICE", Message::plain("a nudge"));
    CHECK(nudge.ok);
  }
  CHECK(slack.calls("chat.postMessage").size() == 7);

  // Bulk work gives up only after max_retry_after (60 s) of Retry-After.
  slack.queue_method_faults("chat.postMessage", std::vector<Fault>(3, Fault{429, "", 30}));
  {
    const BulkWork bulk;
    const ApiResult nudge = api.post_message("D0BOB", Message::plain("another"));
    CHECK_FALSE(nudge.ok);
    CHECK(nudge.error == "ratelimited");
  }
  // Two waits of 30 s, and the third 429 would pass the minute: it stops.
  CHECK(slack.calls("chat.postMessage").size() == 10);
}

TEST_CASE_METHOD(ApiWithRecordedWaits,
                 "in a fan-out, a Do Not Disturb check that would wait long is skipped, not made") {
  const BulkWork bulk;
  // Tier 3: a burst of five, then one every 1.2 s.
  int made = 0;
  for (int i = 0; i < 8; ++i) {
    const ApiResult answer = api.do_not_disturb("U0ALICE");
    if (answer.ok) {
      ++made;
    } else {
      CHECK(answer.error == "paced");
      CHECK(answer.nothing_done);
    }
  }
  // Five at once, and the sixth a wait of 1.2 s: more than a fan-out waits.
  CHECK(made == 5);
  CHECK(slack.calls("dnd.info").size() == 5);
}

TEST_CASE("the bot's own pace keeps its posts within Slack's limits on one channel") {
  FakeSlack slack;
  slack.enforce_post_limits(PostLimits{});  // a burst of 3, then one a second
  // The first post opens the connection and arrives late; the bot's pace
  // counts from when it was sent, Slack's from arrivals.
  WebApiClient client{slack.api_url(), slack.options().bot_token, SystemClock::instance()};
  WebSlackApi api{client};
  for (int i = 0; i < 5; ++i) {
    CHECK(api.post_message("C0TEAM", Message::plain("post " + std::to_string(i))).ok);
  }
  CHECK(slack.rate_limited_answers("chat.postMessage") == 0);
  // The fake does refuse what goes faster (checked, so the test above means
  // something): straight at it, the fourth of a burst is refused.
  WebApiOptions no_pace;
  no_pace.sleep = [](std::chrono::milliseconds) {};
  WebApiClient hasty{slack.api_url(), slack.options().bot_token, SystemClock::instance(), no_pace};
  WebSlackApi hasty_api{hasty};
  for (int i = 0; i < 4; ++i) hasty_api.post_message("C0OTHER", Message::plain("hurry"));
  CHECK(slack.rate_limited_answers("chat.postMessage") >= 1);
}
