// App Home through the fake Slack: what a new person, a person with data,
// an admin and a person with more than fits see, and the Home published
// again when an endorsement changes it. The fake checks each views.publish
// as Slack does (a home view, at most 100 blocks).
#include <catch2/catch.hpp>

#include <thread>

#include "commands/initiative/initiative.hpp"
#include "integration/support.hpp"
#include "store/clocked_office.hpp"

using namespace ff;
using namespace ff::testing;
using namespace std::chrono_literals;

namespace {

struct Home : ClockedOffice {
  // Monday 14:00 UTC: 09:00 in New York, where Bob works.
  Home() { clock.set_epoch(december(7, 14h)); }

  Config config() {
    Config c = test_config(slack);
    c.database = ":memory:";
    c.initiatives.managers = {{"U0ALICE", {"U0BOB"}}};
    c.scheduler_poll_interval = 60000ms;  // the test runs the scheduler itself
    return c;
  }

  // The views published for `user` so far, oldest first.
  std::vector<nlohmann::json> homes_of(const std::string& user) const {
    std::vector<nlohmann::json> views;
    for (const auto& call : slack.calls("views.publish")) {
      if (call.json.value("user_id", "") == user) views.push_back(call.json.at("view"));
    }
    return views;
  }

  // Waits (bounded) for the `count`th Home of `user`, and returns the latest.
  nlohmann::json wait_for_home(const std::string& user, std::size_t count) const {
    for (int i = 0; i < 250 && homes_of(user).size() < count; ++i) {
      std::this_thread::sleep_for(20ms);
    }
    const auto views = homes_of(user);
    REQUIRE(views.size() >= count);
    return views.back();
  }

  // Waits (bounded) until the latest Home of `user` says `text`: refreshes
  // run on workers, so one asked for earlier may still come in between.
  bool wait_for_home_saying(const std::string& user, const std::string& text) const {
    for (int i = 0; i < 250; ++i) {
      const auto views = homes_of(user);
      if (!views.empty() && views.back().at("blocks").dump().find(text) != std::string::npos)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  nlohmann::json open_home(int connection, const std::string& user) {
    const std::size_t before = homes_of(user).size();
    slack.send_app_home_opened(connection, user);
    return wait_for_home(user, before + 1);
  }
};

std::string text_of(const nlohmann::json& view) {
  return view.at("blocks").dump();
}

// The first actions block whose buttons include `action_id`.
std::optional<nlohmann::json> buttons_with(const nlohmann::json& view,
                                           const std::string& action_id) {
  for (const auto& block : view.at("blocks")) {
    if (block.value("type", "") != "actions") continue;
    for (const auto& element : block.at("elements")) {
      if (element.value("action_id", "") == action_id) return block;
    }
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE_METHOD(Home, "a new person's App Home: a friendly start with three things to try") {
  RunningBot bot(slack, config(), clock);
  const int c = connect(bot, 1);
  const auto view = open_home(c, "U0DANA");
  CHECK(view.value("type", "") == "home");
  CHECK(view.at("blocks").size() <= 100);
  const std::string text = text_of(view);
  CHECK(text.find("Welcome to firstfollower") != std::string::npos);
  CHECK(text.find("`/coach`") != std::string::npos);
  CHECK(text.find("/nudges weekdays 17:00") != std::string::npos);
  CHECK(text.find("Nothing waits for your endorsement") != std::string::npos);
  CHECK(text.find("The whole team") == std::string::npos);  // not an admin
  // Each reflection can be started from there.
  CHECK(buttons_with(view, "reflect_start"));

  // The Messages tab is the DM, not the Home: nothing is published.
  slack.send_app_home_opened(c, "U0EVAN", "messages");
  const auto acked = slack.wait_for_ack(slack.send_app_home_opened(c, "U0DANA"), 5s);
  REQUIRE(acked);
  wait_for_home("U0DANA", 2);
  CHECK(homes_of("U0EVAN").empty());
}

TEST_CASE_METHOD(Home,
                 "App Home shows what waits for a person, and is published again when they "
                 "endorse from it and when their own initiative is backed") {
  RunningBot bot(slack, config(), clock);
  const int c = connect(bot, 1);
  // A title with mrkdwn and a broadcast, which must arrive escaped.
  REQUIRE(propose_and_post(slack, c, "Faster reviews <!channel> *now*").find("Posted") !=
          std::string::npos);
  at(clock.now(), {&bot});  // the first nudge is a job due at once
  clock.advance(3h);

  const auto bob_home = open_home(c, "U0BOB");
  const std::string bob = text_of(bob_home);
  CHECK(bob.find("Waiting for you") != std::string::npos);
  CHECK(bob.find("#1 Faster reviews") != std::string::npos);
  CHECK(bob.find("<!channel>") == std::string::npos);
  CHECK(bob.find("waiting 3 working hours") != std::string::npos);
  CHECK(bob.find("Welcome to firstfollower") == std::string::npos);
  const auto endorse = buttons_with(bob_home, commands::kNudgeEndorseAction);
  REQUIRE(endorse);
  const std::string value = endorse->at("elements").at(0).value("value", "");
  CHECK(nlohmann::json::parse(value) == nlohmann::json{{"i", 1}, {"u", "U0BOB"}});

  // Bob's reflections are listed by which and when, never by what he wrote.
  store::Reflection had;
  had.user_id = "U0BOB";
  had.flow = "gap";
  had.state = "completed";
  had.action = "Ask Sam to pair on the next release";
  had.started_at = clock.now() - 1h;
  had.ended_at = clock.now() - 50min;
  bot.store->start_reflection(had);
  const std::string bob_again = text_of(open_home(c, "U0BOB"));
  CHECK(bob_again.find("Your latest reflections") != std::string::npos);
  CHECK(bob_again.find("*Close a gap* ·") != std::string::npos);
  CHECK(bob_again.find("Ask Sam") == std::string::npos);

  const auto alice_before = open_home(c, "U0ALICE");
  CHECK(text_of(alice_before).find("No endorsement yet") != std::string::npos);

  // Bob endorses on his Home: both Homes are published again, without
  // anyone opening them.
  slack.send_home_block_action(c, commands::kNudgeEndorseAction, value, "U0BOB");
  CHECK(wait_for_home_saying("U0BOB", "Nothing waits for your endorsement"));
  CHECK(wait_for_home_saying("U0ALICE", "Endorsed by <@U0BOB>"));
  CHECK(text_of(homes_of("U0ALICE").back()).find("First follower: <@U0BOB>") != std::string::npos);
}

TEST_CASE_METHOD(Home, "App Home with more waiting than fits stays within Slack's 100 blocks") {
  RunningBot bot(slack, config(), clock);
  const int c = connect(bot, 1);
  // Straight into the store: posting them would only wait on Slack's pace
  // for one channel.
  const auto add = [&](const std::string& owner, const std::string& title, int second) {
    store::Initiative initiative;
    initiative.team_id = "T0FAKE";
    initiative.channel_id = "C0GENERAL";
    initiative.owner_id = owner;
    initiative.title = title;
    initiative.created_at = clock.now() + std::chrono::seconds{second};
    return bot.store->create_initiative(initiative);
  };
  // Thirty asking Bob, and fifteen of his own.
  for (int i = 1; i <= 30; ++i) {
    const auto id = add("U0ALICE", "Initiative number " + std::to_string(i), i);
    REQUIRE(bot.store->record_nudge(id, "U0BOB", clock.now()));
  }
  for (int i = 1; i <= 15; ++i) add("U0BOB", "Bob's own " + std::to_string(i), 100 + i);
  const auto view = open_home(c, "U0BOB");
  CHECK(view.at("blocks").size() <= 100);
  const std::string text = text_of(view);
  CHECK(text.find("Bob's own 10*") != std::string::npos);
  CHECK(text.find("Bob's own 11*") == std::string::npos);
  CHECK(text.find("and 5 more") != std::string::npos);
  CHECK(text.find("#1 Initiative number 1*") != std::string::npos);  // oldest first
  CHECK(text.find("#20 Initiative number 20*") != std::string::npos);
  CHECK(text.find("#21 Initiative number 21*") == std::string::npos);
  CHECK(text.find("and 10 more") != std::string::npos);
}

TEST_CASE_METHOD(Home, "App Home is published again when a person changes their nudges") {
  RunningBot bot(slack, config(), clock);
  const int c = connect(bot, 1);
  CHECK(text_of(open_home(c, "U0BOB")).find("You have no nudges yet") != std::string::npos);
  slack.send_slash_command(c, "/nudges", "weekdays 16:00", true, {}, "U0BOB");
  CHECK(wait_for_home_saying("U0BOB", "*Your nudges*"));
  REQUIRE(buttons_with(homes_of("U0BOB").back(), "nudges_control_off"));
}

TEST_CASE_METHOD(Home, "an admin's App Home also shows the team's figures") {
  Config c = config();
  c.admins = {"U0BOB"};
  RunningBot bot(slack, c, clock);
  const int connection = connect(bot, 1);
  const std::string admin = text_of(open_home(connection, "U0BOB"));
  CHECK(admin.find("The whole team") != std::string::npos);
  CHECK(admin.find("By person") != std::string::npos);
  CHECK(text_of(open_home(connection, "U0CAROL")).find("The whole team") == std::string::npos);
}

TEST_CASE_METHOD(Home,
                 "Done on the owner's App Home closes the initiative; nobody else's press does") {
  RunningBot bot(slack, config(), clock);
  const int c = connect(bot, 1);
  REQUIRE(propose_and_post(slack, c, "Shorter stand-ups").find("Posted") != std::string::npos);
  const auto alice_home = open_home(c, "U0ALICE");
  const auto done = buttons_with(alice_home, commands::kDoneAction);
  REQUIRE(done);
  const std::string value = done->at("elements").at(0).value("value", "");
  CHECK(value == "1");

  // Bob, who does not lead it and is no admin, presses a copy of it: once
  // it is handled, the initiative is still open.
  const auto handled = bot.bot->dispatcher().counters().handled.load();
  slack.send_home_block_action(c, commands::kDoneAction, value, "U0BOB");
  for (int i = 0; i < 250 && bot.bot->dispatcher().counters().handled.load() == handled; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(bot.bot->dispatcher().counters().handled.load() > handled);
  CHECK(bot.store->initiative(1)->status == "open");

  slack.send_home_block_action(c, commands::kDoneAction, value, "U0ALICE");
  CHECK(wait_for_home_saying("U0ALICE", "No open initiative of yours"));
  CHECK(bot.store->initiative(1)->status == "done");
}
