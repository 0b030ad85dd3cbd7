// Nudges and reminders of initiatives with a clock the test moves: each
// person is reminded in their own working time, an endorsement stops the
// reminders, and they survive a restart and are sent once by two instances.
// The fake's people: alice (Paris) proposes, bob (New York) and carol
// (Tokyo, more than twelve hours ahead of bob) are her managers.
#include <catch2/catch.hpp>

#include <date/date.h>

#include <optional>
#include <thread>

#include "integration/support.hpp"
#include "store/clocked_office.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::testing;
using namespace std::chrono_literals;
using date::November;

namespace {

// Friday 2026-11-20 08:00 UTC: 03:00 in New York, 17:00 in Tokyo.
std::chrono::system_clock::time_point utc(unsigned day, std::chrono::minutes time) {
  return date::sys_days{date::year{2026} / November / day} + time;
}

Config reminding(Config config, const std::string& database) {
  config.database = database;
  config.initiatives.managers = {{"U0ALICE", {"U0BOB", "U0CAROL"}}};
  config.scheduler_poll_interval = 60000ms;  // the test runs the scheduler itself
  return config;
}

struct Office : ClockedOffice {
  Office() { clock.set_epoch(utc(20, 8h)); }

  // Reminders (not the first nudge) posted to a person so far.
  std::size_t reminders_to(const std::string& user) const {
    std::size_t n = 0;
    for (const auto& call : slack.calls("chat.postMessage")) {
      if (call.json.value("channel", "") != user) continue;
      const std::string body = call.body;
      if (body.find("A reminder") != std::string::npos ||
          body.find("A last nudge") != std::string::npos) {
        ++n;
      }
    }
    return n;
  }
  std::size_t nudges_to(const std::string& user) const {
    std::size_t n = 0;
    for (const auto& call : slack.calls("chat.postMessage")) {
      if (call.json.value("channel", "") == user &&
          call.body.find("started an initiative") != std::string::npos) {
        ++n;
      }
    }
    return n;
  }

  // Sends Bob's "Endorse with a nit" form for initiative #1 with `nit`.
  std::optional<nlohmann::json> submit_nit(int connection, const std::string& nit) {
    return slack.wait_for_ack(
        slack.send_view_submission(
            connection, "nudge_nit_modal", R"({"i":1,"u":"U0BOB"})",
            {{"nit_text", {{"text", {{"type", "plain_text_input"}, {"value", nit}}}}}}, "U0BOB"),
        5s);
  }

  // /initiative from U0ALICE, and Post on its preview.
  std::string propose(int connection, const std::string& title) {
    return propose_and_post(slack, connection, title);
  }
};

// Two instances of the bot on one PostgreSQL database and one fake Slack.
struct TwoInstances {
  explicit TwoInstances(Office& office)
      : clock(office.clock),
        one(office.slack, reminding(test_config(office.slack), database.url()), office.clock),
        two(office.slack, reminding(test_config(office.slack), database.url()), office.clock) {
    REQUIRE(office.slack.wait_for_open_connections(2, 5s));
    REQUIRE(one.bot->client().wait_until_live(1, 5s));
    REQUIRE(two.bot->client().wait_until_live(1, 5s));
    wait_for_first_pass(one);
    wait_for_first_pass(two);
  }
  // Moves time and lets both schedulers run what fell due, at the same time.
  void at(std::chrono::system_clock::time_point when) {
    clock.set_epoch(when);
    std::thread a([&] { one.bot->scheduler().run_due(); });
    std::thread b([&] { two.bot->scheduler().run_due(); });
    a.join();
    b.join();
  }
  ManualClock& clock;
  ScratchPostgresDatabase database;
  RunningBot one;
  RunningBot two;
};

}  // namespace

TEST_CASE_METHOD(Office, "reminders come in each manager's own working hours, twice, then stop") {
  RunningBot bot(slack, reminding(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  CHECK(propose(c, "Faster code reviews").find("Posted initiative #1") != std::string::npos);
  at(utc(20, 8h), {&bot});  // the first nudges are jobs due at once
  CHECK(nudges_to("U0BOB") == 1);
  CHECK(nudges_to("U0CAROL") == 1);

  // Bob: four working hours after 03:00 in New York is 13:00 there, 18:00 UTC.
  at(utc(20, 17h + 59min), {&bot});
  CHECK(reminders_to("U0BOB") == 0);
  at(utc(20, 18h), {&bot});
  CHECK(reminders_to("U0BOB") == 1);
  // A working day: Friday 17:00 in New York, 22:00 UTC, the last one.
  at(utc(20, 22h), {&bot});
  CHECK(reminders_to("U0BOB") == 2);
  // Carol: it was 17:00 on Friday in Tokyo, so her four hours fall on
  // Monday, 13:00 in Tokyo, 04:00 UTC; nothing over the weekend.
  at(utc(23, 3h + 59min), {&bot});
  CHECK(reminders_to("U0CAROL") == 0);
  at(utc(23, 4h), {&bot});
  CHECK(reminders_to("U0CAROL") == 1);
  at(utc(23, 8h), {&bot});
  CHECK(reminders_to("U0CAROL") == 2);
  // Then nothing more, ever.
  at(utc(30, 12h), {&bot});
  CHECK(reminders_to("U0BOB") == 2);
  CHECK(reminders_to("U0CAROL") == 2);
  const auto last = slack.calls("chat.postMessage").back().body;
  CHECK(last.find("A last nudge") != std::string::npos);
}

TEST_CASE_METHOD(Office,
                 "an endorsement cancels the reminders still pending, Not now only one's "
                 "own") {
  RunningBot bot(slack, reminding(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  propose(c, "Retire the old wiki");  // its Post is answered first
  // Bob says not now: his reminders stop, Carol's do not.
  slack.send_block_action(c, "nudge_not_now", R"({"i":1,"u":"U0BOB"})", "U0BOB", "D0BOB");
  REQUIRE(slack.wait_for_calls("response_url", 2, 5s));
  CHECK(slack.calls("response_url")[1].body.find("I won't remind you") != std::string::npos);
  // Someone else pressing Carol's nudge, or an altered one, changes nothing.
  slack.send_block_action(c, "nudge_endorse", R"({"i":1,"u":"U0CAROL"})", "U0BOB", "D0BOB");
  REQUIRE(slack.wait_for_calls("response_url", 3, 5s));
  CHECK(slack.calls("response_url")[2].body.find("only they can answer") != std::string::npos);
  slack.send_block_action(c, "nudge_endorse", R"({"i":"1"})", "U0CAROL", "D0CAROL");
  REQUIRE(slack.wait_for_calls("response_url", 4, 5s));
  CHECK(slack.calls("response_url")[3].body.find("looks altered") != std::string::npos);
  CHECK(bot.store->endorsements(1).empty());

  at(utc(23, 4h), {&bot});
  CHECK(reminders_to("U0BOB") == 0);
  CHECK(reminders_to("U0CAROL") == 1);
  // Carol endorses from her nudge: the last reminder is cancelled.
  slack.send_block_action(c, "nudge_endorse", R"({"i":1,"u":"U0CAROL"})", "U0CAROL", "D0CAROL");
  REQUIRE(slack.wait_for_calls("response_url", 5, 5s));
  CHECK(slack.calls("response_url")[4].body.find("first follower") != std::string::npos);
  // Her nudge now says so, and Not now on it says there is nothing to refuse.
  bool nudge_updated = false;
  for (const auto& update : slack.calls("chat.update")) {
    nudge_updated |= update.body.find("You endorsed") != std::string::npos;
  }
  CHECK(nudge_updated);
  slack.send_block_action(c, "nudge_not_now", R"({"i":1,"u":"U0CAROL"})", "U0CAROL", "D0CAROL");
  REQUIRE(slack.wait_for_calls("response_url", 6, 5s));
  CHECK(slack.calls("response_url")[5].body.find("nothing to say no to") != std::string::npos);
  at(utc(30, 12h), {&bot});
  CHECK(reminders_to("U0CAROL") == 1);
  // Bob's two (not now) and Carol's last (endorsed) were cancelled, not skipped.
  CHECK(bot.store->jobs().count_by_state().at("cancelled") == 3);
}

TEST_CASE_METHOD(Office,
                 "a restart between the nudge and the reminder loses nothing and doubles "
                 "nothing") {
  Sqlite backend;
  {
    RunningBot before(slack, reminding(test_config(slack), backend.url), clock);
    propose(connect(before, 1), "Quarterly demo day");
  }
  RunningBot after(slack, reminding(test_config(slack), backend.url), clock);
  connect(after, 2);
  at(utc(20, 18h), {&after});
  at(utc(20, 18h + 5min), {&after});
  CHECK(reminders_to("U0BOB") == 1);
  CHECK(nudges_to("U0BOB") == 1);
}

TEST_CASE_METHOD(Office, "two instances on PostgreSQL send each reminder once") {
  TwoInstances instances(*this);
  propose(slack.open_connections().front(), "Shared on-call notes");
  for (const auto when : {utc(20, 18h), utc(20, 22h), utc(23, 4h), utc(23, 8h), utc(30, 9h)}) {
    instances.at(when);
  }
  CHECK(reminders_to("U0BOB") == 2);
  CHECK(reminders_to("U0CAROL") == 2);
  CHECK(nudges_to("U0BOB") == 1);
}

TEST_CASE_METHOD(Office,
                 "/initiative stats: time to the first endorsement, per manager, and the "
                 "share endorsed within a working day") {
  Config config = reminding(test_config(slack), ":memory:");
  config.admins = {"U0DAVE"};
  RunningBot bot(slack, config, clock);
  const int c = connect(bot, 1);
  propose(c, "Faster code reviews");
  // Endorsed on Monday 05:00 UTC: 69 hours later, past Alice's working day
  // (Friday 09:00-17:00 in Paris).
  clock.set_epoch(utc(23, 5h));
  slack.wait_for_ack(slack.send_slash_command(c, "/endorse", "1", true, {}, "U0CAROL"), 5s);
  propose(c, "Shared on-call notes");
  clock.set_epoch(utc(23, 5h + 30min));
  slack.wait_for_ack(slack.send_slash_command(c, "/endorse", "2", true, {}, "U0CAROL"), 5s);
  auto stats_for = [&](const std::string& user) {
    const auto ack =
        slack.wait_for_ack(slack.send_slash_command(c, "/initiative", "stats", true, {}, user), 5s);
    REQUIRE(ack);
    return ack->dump();
  };
  // #2 is younger than a working day: counted, it would make support look
  // quicker than it is. A dropped one is never counted.
  propose(c, "Rewrite everything");
  slack.wait_for_ack(slack.send_slash_command(c, "/initiative", "drop 3", true, {}, "U0ALICE"), 5s);
  const std::string early = stats_for("U0DAVE");
  CHECK(early.find("Initiatives: 1, endorsed within a working day: 0%") != std::string::npos);
  CHECK(early.find("1 initiative younger than a working day is not counted yet") !=
        std::string::npos);
  CHECK(early.find("#3") == std::string::npos);
  // Tuesday 09:00 in Paris: #2 has had its working day.
  clock.set_epoch(utc(24, 8h));
  const std::string figures = stats_for("U0DAVE");  // an admin
  CHECK(figures.find("not counted yet") == std::string::npos);
  CHECK(figures.find("Initiatives: 2, endorsed within a working day: 50%") != std::string::npos);
  CHECK(figures.find("Median time to the first endorsement: 34 h 45 min") != std::string::npos);
  CHECK(figures.find("<@U0CAROL> endorsed after a median of 34 h 45 min (2 initiatives)") !=
        std::string::npos);
  CHECK(figures.find("#1: first endorsement after 2 days") != std::string::npos);
  CHECK(figures.find("#2: first endorsement after 30 min") != std::string::npos);
  // Anyone else sees the channel's figures, and how quickly a person
  // endorsed only when it is their own.
  const std::string alice = stats_for("U0ALICE");
  CHECK(alice.find("Median time to the first endorsement: 34 h 45 min") != std::string::npos);
  CHECK(alice.find("U0CAROL") == std::string::npos);
  CHECK(alice.find("shown to admins") != std::string::npos);
  const std::string carol = stats_for("U0CAROL");
  CHECK(carol.find("You endorsed after a median of 34 h 45 min (2 initiatives)") !=
        std::string::npos);
}

TEST_CASE_METHOD(Office,
                 "Endorse with a nit endorses and delivers the nit as non-blocking "
                 "feedback") {
  RunningBot bot(slack, reminding(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  propose(c, "Faster code reviews");
  const std::string nudge = R"({"i":1,"u":"U0BOB"})";
  slack.send_block_action(c, "nudge_endorse_nit", nudge, "U0BOB", "D0BOB");
  REQUIRE(slack.wait_for_calls("views.open", 1, 5s));
  const auto view = slack.calls("views.open").at(0).json["view"];
  CHECK(view["callback_id"] == "nudge_nit_modal");
  const std::string metadata = view["private_metadata"];
  // What submit_nit sends, as the form carries it.
  CHECK(nlohmann::json::parse(metadata) == nlohmann::json{{"i", 1}, {"u", "U0BOB"}});

  const auto empty = slack.wait_for_ack(
      slack.send_view_submission(c, "nudge_nit_modal", metadata, nlohmann::json::object(), "U0BOB"),
      5s);
  REQUIRE(empty);
  CHECK((*empty)["payload"]["response_action"] == "errors");
  // Carol cannot answer Bob's nudge with a form of her own.
  const auto someone_else =
      slack.wait_for_ack(slack.send_view_submission(c, "nudge_nit_modal", metadata,
                                                    nlohmann::json::object(), "U0CAROL"),
                         5s);
  REQUIRE(someone_else);
  CHECK(someone_else->dump().find("only they can answer") != std::string::npos);

  const auto sent = submit_nit(c, "Name a DRI?");
  REQUIRE(sent);
  CHECK_FALSE(sent->contains("payload"));
  REQUIRE(bot.store->endorsements(1).size() == 1);
  CHECK(bot.store->endorsements(1)[0].user_id == "U0BOB");
  const std::string to_alice = posted_to("U0ALICE");
  CHECK(to_alice.find("Name a DRI?") != std::string::npos);
  CHECK(to_alice.find("Non-blocking feedback from <@U0BOB>") != std::string::npos);
  CHECK(to_alice.find("<@U0BOB> endorsed your initiative") != std::string::npos);
  // The endorsement stopped every reminder.
  at(utc(30, 12h), {&bot});
  CHECK(reminders_to("U0BOB") == 0);
  CHECK(reminders_to("U0CAROL") == 0);
}

TEST_CASE_METHOD(Office,
                 "Endorse with a nit whose delivery fails after the form closed tells the "
                 "person who sent it") {
  RunningBot bot(slack, reminding(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  propose(c, "Faster code reviews");
  at(utc(20, 8h), {&bot});
  // Every post rate limited for longer than a form stays open: the note to
  // the owner, then the nit itself.
  slack.queue_method_faults("chat.postMessage", std::vector<Fault>(6, Fault{429, "", 2}));
  const auto posts_before = slack.calls("chat.postMessage").size();
  const std::string envelope = slack.send_view_submission(
      c, "nudge_nit_modal", R"({"i":1,"u":"U0BOB"})",
      {{"nit_text", {{"text", {{"type", "plain_text_input"}, {"value", "Name a DRI?"}}}}}},
      "U0BOB");
  // The handler is at its first post, so the form's deadline is running:
  // move the clock past it, and the form closes without the handler.
  REQUIRE(slack.wait_for_calls("chat.postMessage", posts_before + 1, 5s));
  clock.advance(test_config(slack).socket_mode.view_ack_deadline);
  const auto sent = slack.wait_for_ack(envelope, 5s);
  REQUIRE(sent);
  CHECK_FALSE(sent->contains("payload"));  // closed at the deadline
  CHECK(wait_for_post_to("U0BOB", "closed before I could finish it"));
  CHECK(posted_to("U0BOB").find("I couldn't deliver it (ratelimited)") != std::string::npos);
}

TEST_CASE_METHOD(Office, "a time zone cached more than a week ago is looked up again") {
  RunningBot bot(slack, reminding(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  // Bob's profile says Tokyo, from a month ago; Slack now says New York.
  bot.store->put_profile(
      {"U0BOB", "Asia/Tokyo", 32400, "bob", utc(20, 8h) - std::chrono::hours{24 * 30}});
  propose(c, "Faster code reviews");
  CHECK(bot.store->profile("U0BOB")->time_zone == "America/New_York");
  at(utc(20, 18h), {&bot});
  CHECK(reminders_to("U0BOB") == 1);  // New York's afternoon, not Tokyo's Monday
}

TEST_CASE_METHOD(Office,
                 "the first nudge waits out a Slack outage and is sent once, also by two "
                 "instances") {
  TwoInstances instances(*this);
  // The card goes out; then Slack is unavailable for both nudges, twice.
  // (Queued first: a scheduler may run the nudges as soon as they exist.)
  slack.queue_method_faults("chat.postMessage", {{0, ""},
                                                 {200, "service_unavailable"},
                                                 {200, "service_unavailable"},
                                                 {200, "service_unavailable"},
                                                 {200, "service_unavailable"}});
  propose(slack.open_connections().front(), "Shared on-call notes");
  instances.at(utc(20, 8h));
  CHECK(nudges_to("U0BOB") == 1);  // tried, refused
  CHECK(nudges_to("U0CAROL") == 1);
  instances.at(utc(20, 8h) + 29s);  // not yet: the retry waits 30 s
  CHECK(nudges_to("U0BOB") == 1);
  instances.at(utc(20, 8h) + 31s);  // refused again; the next try waits 60 s
  CHECK(nudges_to("U0BOB") == 2);
  instances.at(utc(20, 8h) + 92s);
  CHECK(nudges_to("U0BOB") == 3);
  CHECK(nudges_to("U0CAROL") == 3);
  // Delivered: never again, whatever the instances do later.
  instances.at(utc(20, 12h));
  instances.at(utc(21, 12h));
  CHECK(nudges_to("U0BOB") == 3);
  CHECK(nudges_to("U0CAROL") == 3);
  // The card and six tries; the Friday reminders fell past their grace by Saturday.
  CHECK(slack.calls("chat.postMessage").size() == 1 + 6);
}

TEST_CASE_METHOD(Office, "a first nudge Slack may have acted on is not sent again") {
  RunningBot bot(slack, reminding(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  // internal_error: Slack says some of it may have happened.
  slack.queue_method_faults("chat.postMessage", {{0, ""}, {200, "internal_error"}});
  propose(c, "Faster code reviews");
  at(utc(20, 8h), {&bot});
  at(utc(20, 9h), {&bot});
  std::size_t nudges = nudges_to("U0BOB") + nudges_to("U0CAROL");
  CHECK(nudges == 2);  // one refused, never retried; the other sent
}
