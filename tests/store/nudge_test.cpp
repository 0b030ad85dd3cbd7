// Reflection nudges end to end through the fake Slack, with a clock the
// test moves: each person's own time, the nudge and its buttons, the
// reflection written in answer, pauses, downtime, a restart, two instances.
// The fake's people: alice (Paris), bob (New York), carol (Tokyo, an
// admin), dana (no time zone in Slack).
#include <catch2/catch.hpp>

#include <date/date.h>

#include <algorithm>

#include "bot/store/database.hpp"
#include "integration/support.hpp"
#include "store/clocked_office.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::testing;
using namespace std::chrono_literals;

namespace {

Config nudging(Config config, const std::string& database) {
  config.database = database;
  config.admins = {"U0CAROL"};
  config.nudges.calendar.holidays = {"2026-12-25"};
  config.scheduler_poll_interval = 60000ms;  // the test runs the scheduler itself
  return config;
}

struct Team : ClockedOffice {
  Team() { clock.set_epoch(december(4, 12h)); }  // Friday 13:00 in Paris

  // What the bot said to a command: its ack, or its post to response_url.
  std::string command(int c, const std::string& text, const std::string& user = "U0ALICE") {
    const auto id = slack.send_slash_command(c, "/nudges", text, true, {}, user);
    const auto ack = slack.wait_for_ack(id, 5s);
    REQUIRE(ack);
    if (ack->contains("payload")) return (*ack)["payload"].dump();
    for (int i = 0; i < 250; ++i) {
      for (const auto& call : slack.calls("response_url")) {
        if (call.path == "/response/" + id) return call.body;
      }
      std::this_thread::sleep_for(20ms);
    }
    FAIL("no answer to /nudges " << text);
    return {};
  }

  // The nudges posted to a person (or channel) that Slack took, oldest
  // first, with what the fake answered (ts, channel).
  std::vector<ApiCall> nudges_to(const std::string& channel) const {
    std::vector<ApiCall> found;
    for (const auto& call : slack.calls("chat.postMessage")) {
      if (call.json.value("channel", "") == channel && call.answer.value("ok", false) &&
          (call.body.find("nudge_snooze") != std::string::npos ||
           call.body.find("This channel's question") != std::string::npos)) {
        found.push_back(call);
      }
    }
    return found;
  }

  // Presses a button of a nudge as `user`; returns what replaced the nudge.
  std::string press(int c, const ApiCall& nudge, const std::string& action,
                    const std::string& user = "U0ALICE") {
    const std::size_t before = slack.calls("response_url").size();
    slack.send_block_action(c, action, "", user, nudge.answer.value("channel", ""),
                            nudge.answer.value("ts", ""));
    REQUIRE(slack.wait_for_calls("response_url", before + 1, 5s));
    return slack.calls("response_url").at(before).body;
  }

  // Nudge jobs waiting to run: one per schedule.
  std::int64_t pending_nudge_jobs(RunningBot& bot) {
    return bot.store->database().read([](store::SqlSession& s) {
      return s.run("SELECT count(*) FROM jobs WHERE kind = 'nudge.send' AND state = 'pending'")
          .rows.at(0)
          .integer(0);
    });
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE_METHOD(Team, "a nudge comes at the person's own time on the days asked, and only then") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  const std::string set = command(c, "weekdays 17:00");
  CHECK(has(set, "weekdays at 17:00"));
  CHECK(has(set, "Next: Friday 4 Dec, 17:00 your time (Europe/Paris)"));
  CHECK(has(command(c, "weekdays 17:00", "U0BOB"),
            "Friday 4 Dec, 17:00 your time (America/New_York)"));

  at(december(4, 15h + 59min), {&bot});
  CHECK(nudges_to("U0ALICE").empty());
  at(december(4, 16h), {&bot});  // 17:00 in Paris
  REQUIRE(nudges_to("U0ALICE").size() == 1);
  const ApiCall nudge = nudges_to("U0ALICE").front();
  for (const char* button : {"nudge_reflect", "nudge_snooze", "nudge_skip", "nudge_pause"}) {
    CHECK(has(nudge.body, button));
  }
  CHECK(nudges_to("U0BOB").empty());  // 11:00 in New York
  at(december(4, 22h), {&bot});
  CHECK(nudges_to("U0BOB").size() == 1);

  // Nothing over the weekend; Monday again, once, and one job per person.
  at(december(6, 23h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  at(december(7, 16h), {&bot});
  at(december(7, 16h + 30min), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 2);
  CHECK(pending_nudge_jobs(bot) == 2);
  // Never the same question twice in a row.
  CHECK(nudges_to("U0ALICE")[0].json.value("text", "") !=
        nudges_to("U0ALICE")[1].json.value("text", ""));
  CHECK(has(command(c, "stats"), "2 nudges sent, 0 answered"));
}

TEST_CASE_METHOD(Team,
                 "Reflect now and a reply in the thread keep the reflection, for its person only") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "daily 9:00");
  at(december(5, 8h), {&bot});  // Saturday 09:00 in Paris: daily means every day
  REQUIRE(nudges_to("U0ALICE").size() == 1);
  const ApiCall nudge = nudges_to("U0ALICE").front();
  CHECK(nudge.answer.value("channel", "") == "D0ALICE");

  // Someone else's press changes nothing.
  CHECK(has(press(c, nudge, "nudge_snooze", "U0BOB"), "someone else's"));
  // Reflect now starts the coaching dialog on the nudge's question, in the
  // DM; its answers are kept, and the nudge counts as answered.
  slack.send_block_action(c, "nudge_reflect", "", "U0ALICE", "D0ALICE",
                          nudge.answer.value("ts", ""));
  REQUIRE(wait_for_post_to("U0ALICE", "Reflect on a question"));
  const std::string question =
      nudge.json.value("text", "").substr(std::string("A question to reflect on: ").size());
  CHECK(has(posted_to("U0ALICE"), question.substr(0, 20)));  // the nudge's own question
  slack.send_direct_message(c, "The gap: releases wait on one reviewer.", "Ev-dialog-1", 0,
                            "U0ALICE");
  REQUIRE(wait_for_post_to("U0ALICE", "What is one small step"));
  slack.send_direct_message(c, "Ask Sam to review too.", "Ev-dialog-2", 0, "U0ALICE");
  REQUIRE(wait_for_post_to("U0ALICE", "Your next step"));
  CHECK(has(bot.store->export_user("U0ALICE").dump(), "releases wait on one reviewer"));
  CHECK_FALSE(has(bot.store->export_user("U0CAROL").dump(), "releases wait"));

  // The next day's, answered in its thread.
  at(december(6, 8h), {&bot});
  REQUIRE(nudges_to("U0ALICE").size() == 2);
  const std::string ts = nudges_to("U0ALICE")[1].answer.value("ts", "");
  slack.send_direct_message(c, "I followed Sam's lead on the release.", "Ev-thread-1", 0, "U0ALICE",
                            ts);
  REQUIRE(wait_for_post_to("D0ALICE", "Noted, privately"));
  CHECK(has(bot.store->export_user("U0ALICE").dump(), "I followed Sam's lead"));
  // Admins see the team's rate, not what anyone wrote.
  const std::string team = command(c, "stats", "U0CAROL");
  CHECK(has(team, "response rate"));
  CHECK(has(team, "2 nudges sent, 100% answered"));
  CHECK_FALSE(has(team, "Sam's lead"));
}

TEST_CASE_METHOD(Team, "without the dialog flows Reflect now opens a form, for its person only") {
  Config config = nudging(test_config(slack), ":memory:");
  config.prompt_files = {std::string(FF_SOURCE_DIR) + "/prompts/coaching.toml"};
  RunningBot bot(slack, config, clock);
  const int c = connect(bot, 1);
  command(c, "daily 9:00");
  at(december(5, 8h), {&bot});
  REQUIRE(nudges_to("U0ALICE").size() == 1);
  const ApiCall nudge = nudges_to("U0ALICE").front();
  slack.send_block_action(c, "nudge_reflect", "", "U0ALICE", "D0ALICE",
                          nudge.answer.value("ts", ""));
  REQUIRE(slack.wait_for_calls("views.open", 1, 5s));
  const nlohmann::json view = slack.calls("views.open").front().json["view"];
  CHECK(view.value("callback_id", "") == "nudge_reflection");
  const std::string metadata = view.value("private_metadata", "");
  const auto values = [](const std::string& text) {
    return nlohmann::json{
        {"reflection", {{"text", {{"type", "plain_text_input"}, {"value", text}}}}}};
  };
  // A forged submission from bob is refused.
  const auto forged = slack.wait_for_ack(
      slack.send_view_submission(c, "nudge_reflection", metadata, values("mine"), "U0BOB"), 5s);
  REQUIRE(forged);
  CHECK(has(forged->dump(), "someone else's"));
  const auto kept = slack.wait_for_ack(
      slack.send_view_submission(c, "nudge_reflection", metadata,
                                 values("The gap: releases wait on one reviewer."), "U0ALICE"),
      5s);
  REQUIRE(kept);
  CHECK_FALSE(kept->contains("payload"));  // closes the form
  REQUIRE(slack.wait_for_calls("chat.update", 1, 5s));
  CHECK(has(slack.calls("chat.update").back().body, "You reflected on this one"));
  CHECK(has(bot.store->export_user("U0ALICE").dump(), "releases wait on one reviewer"));
}

TEST_CASE_METHOD(Team,
                 "snooze asks again an hour later, skip and pause hold off, resume comes back") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "weekdays 17:00");
  at(december(4, 16h), {&bot});
  REQUIRE(nudges_to("U0ALICE").size() == 1);
  const ApiCall first = nudges_to("U0ALICE").front();
  CHECK(has(press(c, first, "nudge_snooze"), "again on Friday 4 Dec, 18:00 your time"));
  at(december(4, 16h + 59min), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  at(december(4, 17h), {&bot});
  REQUIRE(nudges_to("U0ALICE").size() == 2);
  CHECK(nudges_to("U0ALICE")[1].json.value("text", "") == first.json.value("text", ""));

  CHECK(has(press(c, nudges_to("U0ALICE")[1], "nudge_skip"), "Next: Monday 7 Dec, 17:00"));
  // Skip the next one from /nudges: Monday's is left out, Tuesday's comes.
  CHECK(has(command(c, "skip"), "Next: Tuesday 8 Dec, 17:00"));
  at(december(7, 16h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 2);
  at(december(8, 16h), {&bot});
  REQUIRE(nudges_to("U0ALICE").size() == 3);
  // Pause for a week from the nudge: nothing until Tuesday the 15th.
  CHECK(has(press(c, nudges_to("U0ALICE")[2], "nudge_pause"), "Paused until Tuesday 15 Dec"));
  at(december(14, 12h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 3);
  CHECK(has(command(c, ""), "Paused until Tuesday 15 Dec, 17:00"));
  CHECK(has(command(c, "resume"), "Next: Monday 14 Dec, 17:00"));
  at(december(14, 16h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 4);
  const std::string stats = command(c, "stats");
  CHECK(has(stats, "4 nudges sent"));
  CHECK(has(stats, "1 snoozed, 1 skipped, 1 paused"));
}

TEST_CASE_METHOD(
    Team, "after downtime a nudge goes late only within the grace window, never in a burst") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "daily 9:00");
  at(december(5, 9h + 30min), {&bot});  // 10:30 in Paris, 90 min late: within the 2 h
  CHECK(nudges_to("U0ALICE").size() == 1);
  // Down from Saturday until Monday noon: Sunday's and Monday's 09:00 are
  // past their grace windows; skipped, and Tuesday's is scheduled.
  at(december(7, 11h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  CHECK(has(command(c, ""), "Next: Tuesday 8 Dec, 09:00"));
  at(december(8, 8h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 2);
}

TEST_CASE_METHOD(Team,
                 "holidays, quiet hours and the time zone: what is never sent and what is said") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  CHECK(has(command(c, "weekdays 21:30"), "21:30 is in quiet hours (20:00–08:00)"));
  CHECK(has(command(c, "daily 25:00"), "is not a time of day"));
  CHECK(has(command(c, "fridays at teatime"), "I don't know `teatime`"));
  const std::string hostile = command(c, "daily <!channel> 9:00");
  CHECK(has(hostile, "&lt;!channel&gt;"));
  CHECK_FALSE(has(hostile, "<!channel>"));
  CHECK(has(command(c, "pause 2w"), "You have no nudges yet"));
  command(c, "weekly fri 16:00");
  CHECK(has(command(c, "pause forever"), "I can't pause for `forever`"));
  CHECK(has(command(c, "pause until 2020-01-01"), "That date has passed"));
  CHECK(has(command(c, "topics gap nonsense"), "I have no questions about `nonsense`"));
  CHECK(has(command(c, "topics gap"), "questions about `gap`"));
  // Fridays at 16:00 in Paris, but 25 Dec is a holiday: after the 18th, 1 Jan.
  for (const unsigned day : {4u, 11u, 18u}) at(december(day, 15h), {&bot});
  REQUIRE(nudges_to("U0ALICE").size() == 3);
  CHECK(has(command(c, ""), "Next: Friday 1 Jan, 16:00"));
  at(december(25, 15h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 3);
  // No zone in Slack: the workspace's, and it says so.
  CHECK(has(command(c, "weekdays 10:00", "U0DANA"), "Slack has no time zone for you"));
}

TEST_CASE_METHOD(Team,
                 "a person who moves gets their nudge at the same local time in the new zone") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "daily 9:00");
  at(december(5, 8h), {&bot});  // 09:00 in Paris
  REQUIRE(nudges_to("U0ALICE").size() == 1);
  // Alice moves to New York; Slack tells once her cached zone is a week old.
  slack.move_person("U0ALICE", "America/New_York", -18000);
  for (unsigned day = 6; day <= 12; ++day) at(december(day, 8h), {&bot});
  const std::size_t before = nudges_to("U0ALICE").size();
  at(december(13, 8h), {&bot});  // 03:00 in New York: not now
  at(december(13, 13h + 59min), {&bot});
  CHECK(nudges_to("U0ALICE").size() == before);
  at(december(13, 14h), {&bot});  // 09:00 in New York
  CHECK(nudges_to("U0ALICE").size() == before + 1);
  CHECK(has(command(c, ""), "(America/New_York)"));
}

TEST_CASE_METHOD(Team,
                 "a nudge its instance claimed but never sent goes out once after the lease") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "daily 9:00");
  // Another instance claims the 09:00 nudge and dies before sending it.
  clock.set_epoch(december(5, 8h));
  const auto claimed = bot.store->jobs().claim_due(clock.now(), 10, 60s, "dead-instance");
  REQUIRE(std::count_if(claimed.due.begin(), claimed.due.end(),
                        [](const store::Job& job) { return job.kind == "nudge.send"; }) == 1);
  at(december(5, 8h) + 30s, {&bot});
  CHECK(nudges_to("U0ALICE").empty());  // still its lease
  at(december(5, 8h + 2min), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  at(december(5, 8h + 10min), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  at(december(6, 8h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 2);  // and the series goes on
}

TEST_CASE_METHOD(Team,
                 "a nudge due in Do Not Disturb waits until it ends, within the grace window") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "daily 9:00");
  const auto unix = [](std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  };
  // Saturday: Do Not Disturb until 09:45 in Paris; the 09:00 nudge waits.
  slack.set_do_not_disturb("U0ALICE", unix(december(5, 7h)), unix(december(5, 8h + 45min)));
  at(december(5, 8h), {&bot});
  CHECK(nudges_to("U0ALICE").empty());
  at(december(5, 8h + 44min), {&bot});
  CHECK(nudges_to("U0ALICE").empty());
  at(december(5, 8h + 46min), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  // Sunday: until 12:00, past the 2 h grace: skipped, Monday's comes.
  slack.set_do_not_disturb("U0ALICE", unix(december(6, 7h)), unix(december(6, 11h)));
  at(december(6, 8h), {&bot});
  at(december(6, 11h + 1min), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  at(december(7, 8h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 2);
}

TEST_CASE_METHOD(Team, "the controls under /nudges, /nudges now and topics do what they say") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "weekdays 17:00");
  CHECK(has(command(c, "topics gap"), "questions about `gap`"));
  const std::string shown = command(c, "");
  for (const char* control : {"nudges_control_now", "nudges_control_skip", "nudges_control_pause",
                              "nudges_control_off"}) {
    CHECK(has(shown, control));
  }
  // Send one now: at once, from the topic, and the schedule stays.
  slack.send_block_action(c, "nudges_control_now", "now");
  REQUIRE(slack.wait_for_calls("response_url", 1, 5s));
  CHECK(has(slack.calls("response_url")[0].body, "One is on its way"));
  at(december(4, 12h) + 1s, {&bot});
  REQUIRE(nudges_to("U0ALICE").size() == 1);
  CHECK(has(nudges_to("U0ALICE")[0].body, "_gap_"));
  // Pause from the controls, then the button there turns to Resume.
  slack.send_block_action(c, "nudges_control_pause", "pause");
  REQUIRE(slack.wait_for_calls("response_url", 2, 5s));
  CHECK(has(slack.calls("response_url")[1].body, "Paused until Friday 11 Dec"));
  CHECK(has(command(c, ""), "nudges_control_resume"));
  at(december(7, 16h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  slack.send_block_action(c, "nudges_control_off", "off");
  REQUIRE(slack.wait_for_calls("response_url", 3, 5s));
  CHECK(has(slack.calls("response_url")[2].body, "Your nudges are off"));
  CHECK(has(command(c, ""), "You have no nudges yet"));
  CHECK(pending_nudge_jobs(bot) == 0);
  // A forged control value does nothing.
  command(c, "weekdays 17:00");
  slack.send_block_action(c, "nudges_control_now", "<!channel>");
  REQUIRE(slack.wait_for_calls("response_url", 4, 5s));
  CHECK(has(slack.calls("response_url")[3].body, "looks altered"));
}

TEST_CASE_METHOD(Team, "without dnd:read the nudge goes out, and Slack is not asked again") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "daily 9:00");
  slack.queue_method_faults("dnd.info", {{200, "missing_scope"}});
  at(december(5, 8h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 1);
  at(december(6, 8h), {&bot});
  CHECK(nudges_to("U0ALICE").size() == 2);
  CHECK(slack.calls("dnd.info").size() == 1);
}

TEST_CASE_METHOD(Team, "a person the bot can no longer reach is stopped, not retried") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  command(c, "daily 9:00");
  slack.queue_method_faults("chat.postMessage", {{200, "cannot_dm_bot"}});
  at(december(5, 8h), {&bot});
  CHECK(slack.calls("chat.postMessage").size() == 1);  // tried once
  CHECK(nudges_to("U0ALICE").empty());
  CHECK_FALSE(bot.store->schedule("user", "U0ALICE"));
  at(december(6, 8h), {&bot});
  CHECK(slack.calls("chat.postMessage").size() == 1);
  CHECK(pending_nudge_jobs(bot) == 0);
}

TEST_CASE_METHOD(Team, "a channel's question: set by its admins and leads, posted on schedule") {
  RunningBot bot(slack, nudging(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  CHECK(has(command(c, "channel weekly mon 10:00"), "Only admins and this channel's leads"));
  const std::string set = command(c, "channel weekly mon 10:00 strategy", "U0CAROL");
  CHECK(has(set, "every Monday at 10:00"));
  CHECK(has(set, "in this channel's time (Asia/Tokyo)"));
  at(december(7, 1h), {&bot});  // Monday 10:00 in Tokyo
  REQUIRE(nudges_to("C0GENERAL").size() == 1);
  CHECK(has(nudges_to("C0GENERAL").front().body, "coach_discuss"));
  CHECK(has(command(c, "channel off", "U0CAROL"), "This channel's nudges are off"));
  at(december(14, 1h), {&bot});
  CHECK(nudges_to("C0GENERAL").size() == 1);
}

TEST_CASE_METHOD(Team, "a nudge scheduled before a restart is sent once, after it") {
  const std::string file = make_temp_folder() + "/state.db";
  {
    RunningBot first(slack, nudging(test_config(slack), file), clock);
    const int c = connect(first, 1);
    command(c, "daily 9:00");
  }
  RunningBot second(slack, nudging(test_config(slack), file), clock);
  connect(second, 2);
  at(december(5, 8h), {&second});
  at(december(5, 8h + 5min), {&second});
  CHECK(nudges_to("U0ALICE").size() == 1);
}

TEST_CASE_METHOD(Team, "two instances on PostgreSQL send each nudge once") {
  ScratchPostgresDatabase database;
  RunningBot one(slack, nudging(test_config(slack), database.url()), clock);
  RunningBot two(slack, nudging(test_config(slack), database.url()), clock);
  REQUIRE(slack.wait_for_open_connections(2, 5s));
  REQUIRE(one.bot->client().wait_until_live(1, 5s));
  REQUIRE(two.bot->client().wait_until_live(1, 5s));
  wait_for_first_pass(one);
  wait_for_first_pass(two);
  const int c = slack.open_connections().front();
  command(c, "daily 9:00");
  command(c, "daily 9:00", "U0BOB");
  // 09:00 in Paris is 08:00 UTC, in New York 14:00 UTC.
  for (const auto moment :
       {december(5, 8h + 10min), december(5, 14h + 10min), december(6, 8h + 10min),
        december(6, 14h + 10min), december(7, 8h + 10min), december(7, 14h + 10min)}) {
    clock.set_epoch(moment);
    std::thread a([&] { one.bot->scheduler().run_due(); });
    std::thread b([&] { two.bot->scheduler().run_due(); });
    a.join();
    b.join();
  }
  CHECK(nudges_to("U0ALICE").size() == 3);
  CHECK(nudges_to("U0BOB").size() == 3);
}
