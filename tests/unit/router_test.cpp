#include <catch2/catch.hpp>

#include "bot/slack/router.hpp"

using namespace ff;

TEST_CASE("requests reach the handler registered for them") {
  EnvelopeRouter router;
  int commands = 0, actions = 0, events = 0;
  router.command("/coach", [&](const SlashCommand&) {
    ++commands;
    return Reply::none();
  });
  router.action("endorse:*", [&](const BlockAction&) {
    ++actions;
    return Reply::none();
  });
  router.event("app_home_opened", [&](const Event&) { ++events; });

  SlashCommand c;
  c.command = "/coach";
  router.route(c);
  BlockAction a;
  a.action_id = "endorse:42";
  router.route(a);
  Event e;
  e.type = "app_home_opened";
  router.route(e);
  CHECK(commands == 1);
  CHECK(actions == 1);
  CHECK(events == 1);
  CHECK(router.unknown_count() == 0);
}

TEST_CASE("unknown requests are counted and answered with a hint") {
  EnvelopeRouter router;
  SlashCommand c;
  c.command = "/<!channel>";
  const Reply reply = router.route(c);
  REQUIRE(reply.message);
  CHECK(reply.message->text.find("&lt;!channel&gt;") != std::string::npos);
  Event e;
  e.type = "reaction_added";
  CHECK_FALSE(router.route(e).message);
  router.route(e);
  CHECK(router.unknown_count() == 3);
}

#include "bot/slack/dedupe.hpp"

TEST_CASE("recent ids: a repeat is caught, old ids expire, and the size is capped") {
  using namespace std::chrono_literals;
  ManualClock clock;
  RecentIds ids(clock, 60s, 3);
  CHECK(ids.first_time("a"));
  CHECK_FALSE(ids.first_time("a"));
  clock.advance(61s);
  CHECK(ids.first_time("a"));  // forgotten after the retention window
  CHECK(ids.first_time("b"));
  CHECK(ids.first_time("c"));
  CHECK(ids.first_time("d"));
  CHECK(ids.size() <= 3);
}
