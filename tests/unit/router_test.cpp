#include <catch2/catch.hpp>

#include "bot/slack/router.hpp"

using namespace ff;

TEST_CASE("requests reach the handler registered for them") {
  EnvelopeRouter router;
  auto routes = router.feature("test");
  int commands = 0, actions = 0, events = 0;
  routes.command("/coach", [&](const SlashCommand&) {
    ++commands;
    return Reply::none();
  });
  routes.action("endorse:*", [&](const BlockAction&) {
    ++actions;
    return Reply::none();
  });
  routes.event("app_home_opened", [&](const Event&) { ++events; });

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

TEST_CASE("a second handler for the same request is refused at start, naming both features") {
  EnvelopeRouter router;
  const auto nothing = [](const BlockAction&) { return Reply::none(); };
  router.feature("nit").command("/nit", [](const SlashCommand&) { return Reply::none(); });
  router.feature("initiative").action("nudge:*", nothing);
  router.feature("initiative").action("nudge:endorse", nothing);  // exact beats prefix
  try {
    router.feature("coach").command("/nit", [](const SlashCommand&) { return Reply::none(); });
    FAIL("a duplicate command was accepted");
  } catch (const RouteConflict& conflict) {
    CHECK(std::string(conflict.what()) == "command '/nit' of coach collides with '/nit' of nit");
  }
  // Two prefixes where one contains the other: which wins would be chance.
  CHECK_THROWS_AS(router.feature("nudges").action("nudge:e*", nothing), RouteConflict);
  CHECK_THROWS_AS(router.feature("nudges").action("nudge:*", nothing), RouteConflict);
  CHECK_NOTHROW(router.feature("nudges").action("nudges:*", nothing));
  router.feature("help").other_direct_messages([](const Event&) {});
  CHECK_THROWS_AS(router.feature("dialog").other_direct_messages([](const Event&) {}),
                  RouteConflict);
}

TEST_CASE("a direct message goes to the conversation that claims it, else to the fallback") {
  EnvelopeRouter router;
  std::vector<std::string> heard;
  router.feature("dialog").conversation(
      [](const Event& e) { return e.user == "U0INDIALOG"; },
      [&](const Event& e) { heard.push_back("dialog:" + e.text); });
  router.feature("help").other_direct_messages(
      [&](const Event& e) { heard.push_back("help:" + e.text); });
  Event e;
  e.type = "message";
  e.channel_type = "im";
  e.channel = "D0DM";
  e.user = "U0INDIALOG";
  e.text = "my answer";
  router.route(e);
  e.user = "U0OTHER";
  e.text = "help";
  router.route(e);
  e.bot_id = "B0US";  // our own reply, echoed back as an event
  router.route(e);
  e.bot_id.clear();
  e.subtype = "message_changed";
  router.route(e);
  CHECK(heard == std::vector<std::string>{"dialog:my answer", "help:help"});
  CHECK(router.unknown_count() == 0);
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
