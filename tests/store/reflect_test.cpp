// The private coaching dialog end to end through the fake Slack, on a clock
// the test moves: every shipped flow with back, skip, cancel, pausing and
// resuming, the summary and Share to a channel, the follow-up, a restart
// midway, two instances, and that a reflection is only ever its author's.
#include <catch2/catch.hpp>

#include <date/date.h>

#include "bot/store/database.hpp"
#include "integration/support.hpp"
#include "store/clocked_office.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::testing;
using namespace std::chrono_literals;

namespace {

Config reflecting(Config config, const std::string& database) {
  config.database = database;
  config.admins = {"U0CAROL"};
  config.scheduler_poll_interval = 60000ms;  // the test runs the scheduler itself
  return config;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Person : ClockedOffice {
  Person() { clock.set_epoch(december(7, 9h)); }  // Monday 10:00 in Paris

  int events = 0;

  // People answer seconds apart, and the bot paces its posts to a DM at
  // Slack's one per second: on a clock that stood still, they would queue.
  void at_a_persons_pace() { clock.advance(3s); }

  // What the bot answered to a /reflect: its ack, or its post to response_url.
  std::string reflect(int c, const std::string& text, const std::string& user = "U0ALICE") {
    const auto id = slack.send_slash_command(c, "/reflect", text, true, {}, user);
    const auto ack = slack.wait_for_ack(id, 5s);
    REQUIRE(ack);
    return ack->dump();
  }

  // The posts to `user`'s DM from the `from`-th on, as one text.
  std::string posts_since(std::size_t from, const std::string& user = "U0ALICE") const {
    std::string text;
    const auto calls = slack.calls("chat.postMessage");
    std::size_t seen = 0;
    for (const auto& call : calls) {
      if (call.json.value("channel", "") != user) continue;
      if (seen++ >= from) text += call.body;
    }
    return text;
  }
  std::size_t post_count(const std::string& user = "U0ALICE") const {
    std::size_t n = 0;
    for (const auto& call : slack.calls("chat.postMessage")) {
      if (call.json.value("channel", "") == user) ++n;
    }
    return n;
  }
  // The latest post to the person's DM, parsed.
  nlohmann::json latest(const std::string& user = "U0ALICE") const {
    nlohmann::json found;
    for (const auto& call : slack.calls("chat.postMessage")) {
      if (call.json.value("channel", "") == user) found = call.json;
    }
    return found;
  }

  // Writes `text` in the DM and waits until the bot's answer contains `expect`.
  std::string write(int c, const std::string& text, const std::string& expect,
                    const std::string& user = "U0ALICE") {
    const std::size_t before = post_count(user);
    at_a_persons_pace();
    slack.send_direct_message(c, text, "Ev-" + std::to_string(++events), 0, user);
    for (int i = 0; i < 500 && !has(posts_since(before, user), expect); ++i) {
      std::this_thread::sleep_for(10ms);
    }
    const std::string answer = posts_since(before, user);
    INFO("after \"" << text << "\" the bot said: " << answer);
    CHECK(has(answer, expect));
    return answer;
  }

  // Presses the button `action` of the latest DM post and waits for `expect`
  // in what follows (a post to the DM or a response_url answer).
  std::string press(int c, const std::string& action, const std::string& expect,
                    const std::string& user = "U0ALICE", std::string value = {}) {
    if (value.empty()) {
      const auto found = button_value(latest(user), action);
      REQUIRE(found);
      value = *found;
    }
    const std::size_t before = post_count(user);
    const std::size_t responses = slack.calls("response_url").size();
    at_a_persons_pace();
    slack.send_block_action(c, action, value, user, "D" + user.substr(1));
    std::string answer;
    for (int i = 0; i < 500; ++i) {
      answer = posts_since(before, user);
      const auto all = slack.calls("response_url");
      for (std::size_t k = responses; k < all.size(); ++k) answer += all[k].body;
      for (const auto& open : slack.calls("views.open")) answer += open.body;
      if (has(answer, expect)) break;
      std::this_thread::sleep_for(10ms);
    }
    INFO("after pressing " << action << " the bot said: " << answer);
    CHECK(has(answer, expect));
    return answer;
  }
};

std::int64_t count(RunningBot& bot, const std::string& sql) {
  return bot.store->database().read(
      [&](store::SqlSession& s) { return s.run(sql).rows.at(0).integer(0); });
}

}  // namespace

TEST_CASE_METHOD(Person, "the gap flow: back skip where am I help and a branch to the end") {
  RunningBot bot(slack, reflecting(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  // /reflect alone offers the flows as buttons.
  const std::string offer = reflect(c, "");
  for (const char* flow :
       {"Close a gap", "Weigh your options", "Where you followed", "Lead leaders"}) {
    CHECK(has(offer, flow));
  }
  CHECK(has(offer, "reflect_start"));
  CHECK(has(reflect(c, "help"), "where am I"));
  CHECK(has(reflect(c, "nonsense"), "I don't know the reflection"));

  CHECK(has(reflect(c, "gap"), "in our direct messages"));
  REQUIRE(wait_for_post_to("U0ALICE", "How are things right now?"));
  write(c, "Releases wait on <!channel> & one reviewer", "how ought they to be");
  write(c, "where am I", "step 2 of 5");
  write(c, "help", "Editing a message you already sent");
  // back, and the earlier answer is shown escaped: no broadcast gets through.
  const std::string back = write(c, "back", "How are things right now?");
  CHECK(has(back, "&lt;!channel&gt; &amp; one reviewer"));
  CHECK_FALSE(has(back, "<!channel>"));
  write(c, "", "I didn't find any words");
  write(c, ":sweat_smile:", "Only an emoji?");
  write(c, "Releases wait on one reviewer", "how ought they to be");
  write(c, "skip", "narrows the gap");
  write(c, "Pair two reviewers on every release", "matter to you in six months");
  // A choice in words that names none is refused; the No button branches.
  write(c, "perhaps", "Choose with a button");
  // The first choice button is Yes: it ends the flow with the summary.
  press(c, "reflect_choice", "Your next step");
  const nlohmann::json end = latest();
  CHECK(has(end.dump(), "Pair two reviewers on every release"));
  CHECK(has(end.dump(), "Share to a channel"));
  CHECK(has(end.dump(), "Remind me in a week"));
  CHECK_FALSE(has(end.dump(), "How they ought to be"));  // skipped, so not shown
  CHECK(count(bot, "SELECT count(*) FROM dialog_sessions") == 0);
  CHECK(count(bot, "SELECT count(*) FROM reflections WHERE state = 'completed'") == 1);
  // Nothing went anywhere but the person's DM.
  for (const auto& call : slack.calls("chat.postMessage")) {
    CHECK(call.json.value("channel", "") == "U0ALICE");
  }

  // The No branch: who already leads on it.
  reflect(c, "gap");
  REQUIRE(wait_for_post_to("U0ALICE", "Answer in messages to me"));
  write(c, "a", "how ought they to be");
  write(c, "b", "narrows the gap");
  write(c, "c", "six months");
  write(c, "no", "Who already leads on it");
  write(c, "Sam does; I will back her plan", "Your next step");
  CHECK(count(bot, "SELECT count(*) FROM reflections WHERE state = 'completed'") == 2);
}

TEST_CASE_METHOD(Person, "the options flow: a list with done and one question per option") {
  RunningBot bot(slack, reflecting(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  reflect(c, "options");
  REQUIRE(wait_for_post_to("U0ALICE", "What decision are you weighing?"));
  write(c, "Which CI we move to", "What options do you have?");
  write(c, "Stay on Jenkins", "1 so far");
  write(c, "done", "Name at least 2");
  write(c, "Move to GitLab CI", "2 so far");
  write(c, "Build our own", "3 so far");
  write(c, "back", "I took out _Build our own_");
  press(c, "reflect_done", "Stay on Jenkins: what would it give you");
  write(c, "Nothing to migrate", "Option 2, Move to GitLab CI");
  write(c, "back", "Option 1, Stay on Jenkins");
  write(c, "Nothing to migrate; we keep patching", "Option 2, Move to GitLab CI");
  write(c, "One system; a month of work", "how would you know it succeeded");
  write(c, "Builds under ten minutes", "Which one will you take");
  const std::string end = write(c, "GitLab CI", "Your next step");
  CHECK(has(end, "we keep patching"));
  CHECK_FALSE(has(end, "Build our own"));
}

TEST_CASE_METHOD(Person,
                 "the follow flow offers the initiatives awaiting the person with Endorse") {
  RunningBot bot(slack, reflecting(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  // Alice leads the channel, so bob's initiative waits for her endorsement.
  slack.wait_for_ack(
      slack.send_slash_command(c, "/initiative", "leads <@U0ALICE|alice>", true, {}, "U0CAROL"),
      5s);
  propose_and_post(slack, c, "Faster code reviews | two reviewers at most", "U0BOB");
  bot.bot->scheduler().run_due();
  REQUIRE(wait_for_post_to("U0ALICE", "Faster code reviews"));
  reflect(c, "follow");
  REQUIRE(wait_for_post_to("U0ALICE", "Where you followed"));
  const std::size_t before = post_count();
  write(c, "I followed Sam's release plan", "Whose initiative");
  const std::string offered = posts_since(before);
  CHECK(has(offered, "nudge_endorse"));
  CHECK(has(offered, "Faster code reviews"));
  write(c, "Bob's reviews", "feedback");
  write(c, "A nit on the naming", "theirs to take or leave");
  write(c, "no", "next time");
  write(c, "I'll say: your call", "back quickly");
  write(c, "Bob, by Wednesday", "Your next step");
}

TEST_CASE_METHOD(Person, "the leaders flow, cancel, and a button from an ended dialog") {
  RunningBot bot(slack, reflecting(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  reflect(c, "leaders");
  REQUIRE(wait_for_post_to("U0ALICE", "Lead leaders"));
  write(c, "Sam", "leader or as a follower");
  const auto old_value = button_value(latest(), "reflect_choice");
  REQUIRE(old_value);
  press(c, "reflect_choice", "what would they ask you");
  write(c, "Why this order of work?", "decision");
  write(c, "The release order", "Your next step");

  reflect(c, "leaders");
  REQUIRE(wait_for_post_to("U0ALICE", "Answer in messages to me"));
  write(c, "Priya, privately", "leader or as a follower");
  write(c, "cancel", "Nothing you wrote in it is kept");
  CHECK(count(bot, "SELECT count(*) FROM dialog_sessions") == 0);
  CHECK_FALSE(has(bot.store->export_user("U0ALICE").dump(), "Priya"));
  // A press from the finished dialog is refused, and changes nothing.
  press(c, "reflect_choice", "has ended", "U0ALICE", *old_value);
  // With no dialog, a DM gets the pointer to /reflect, in the DM it came from.
  at_a_persons_pace();
  slack.send_direct_message(c, "Priya again", "Ev-later", 0, "U0ALICE");
  CHECK(wait_for_post_to("D0ALICE", "Write `/reflect` to start"));
}

TEST_CASE_METHOD(Person, "a dialog left alone pauses once and resumes; /reflect asks first") {
  RunningBot bot(slack, reflecting(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  reflect(c, "gap");
  REQUIRE(wait_for_post_to("U0ALICE", "How are things right now?"));
  write(c, "Slow reviews", "how ought they to be");
  // 23 h later, nothing; after 24 h without an answer, one gentle note.
  at(december(8, 8h), {&bot});
  CHECK_FALSE(has(posts_since(0), "is paused"));
  at(december(8, 9h + 1min), {&bot});
  REQUIRE(wait_for_post_to("U0ALICE", "is paused where you left it"));
  at(december(9, 12h), {&bot});
  std::size_t paused_notes = 0;
  for (const auto& call : slack.calls("chat.postMessage")) {
    if (has(call.body, "is paused where you left it")) ++paused_notes;
  }
  CHECK(paused_notes == 1);
  // A message while paused asks to resume; /reflect asks resume or start over.
  write(c, "Fast reviews", "Resume");
  CHECK(has(reflect(c, "options"), "Start over"));
  press(c, "reflect_resume", "Where we left off");
  CHECK(has(posts_since(0), "how ought they to be"));
  write(c, "Reviews within a day", "narrows the gap");
  // Start over from a new /reflect lets go of this one.
  const std::string offer = reflect(c, "options");
  const auto over = button_value(nlohmann::json::parse(offer)["payload"], "reflect_start_over");
  REQUIRE(over);
  press(c, "reflect_start_over", "What decision are you weighing?", "U0ALICE", *over);
  CHECK(count(bot, "SELECT count(*) FROM reflections WHERE state = 'cancelled'") == 1);
}

TEST_CASE_METHOD(Person, "a dialog survives a restart midway") {
  const std::string file = make_temp_folder() + "/state.db";
  {
    RunningBot first(slack, reflecting(test_config(slack), file), clock);
    const int c = connect(first, 1);
    reflect(c, "gap");
    REQUIRE(wait_for_post_to("U0ALICE", "How are things right now?"));
    write(c, "Slow reviews", "how ought they to be");
  }
  RunningBot second(slack, reflecting(test_config(slack), file), clock);
  const int c = connect(second, 2);
  write(c, "Reviews within a day", "narrows the gap");
  write(c, "Pair reviewers", "six months");
  write(c, "yes", "Your next step");
  CHECK(has(second.store->export_user("U0ALICE").dump(), "Slow reviews"));
}

TEST_CASE_METHOD(Person, "Share posts only after the press, and Remind me asks how it went") {
  RunningBot bot(slack, reflecting(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  reflect(c, "leaders");
  REQUIRE(wait_for_post_to("U0ALICE", "Lead leaders"));
  write(c, "Sam", "leader or as a follower");
  write(c, "follower", "what would they ask you");
  write(c, "Why this order?", "decision");
  write(c, "Hand Sam the release order", "Your next step");
  const nlohmann::json summary = latest();

  // The form shows a preview with a channel picker; nothing is posted yet.
  press(c, "reflect_share", "conversations_select");
  const nlohmann::json view = slack.calls("views.open").back().json["view"];
  CHECK(has(view.dump(), "Hand Sam the release order"));
  for (const auto& call : slack.calls("chat.postMessage")) {
    CHECK(call.json.value("channel", "") == "U0ALICE");
  }
  const std::string metadata = view.value("private_metadata", "");
  const auto values = [](const std::string& channel) {
    return nlohmann::json{
        {"channel",
         {{"channel", {{"type", "conversations_select"}, {"selected_conversation", channel}}}}},
        {"note", {{"text", {{"type", "plain_text_input"}, {"value", "What do you think?"}}}}}};
  };
  // No channel chosen: the form says so. Bob's forged submission: refused.
  const auto none = slack.wait_for_ack(
      slack.send_view_submission(c, "reflect_share", metadata, values(""), "U0ALICE"), 5s);
  REQUIRE(none);
  CHECK(has(none->dump(), "Choose the channel"));
  const auto forged = slack.wait_for_ack(
      slack.send_view_submission(c, "reflect_share", metadata, values("C0GENERAL"), "U0BOB"), 5s);
  REQUIRE(forged);
  CHECK(has(forged->dump(), "can't find that reflection"));
  CHECK_FALSE(has(posted_to("C0GENERAL"), "Hand Sam"));
  const auto shared = slack.wait_for_ack(
      slack.send_view_submission(c, "reflect_share", metadata, values("C0GENERAL"), "U0ALICE"), 5s);
  REQUIRE(shared);
  REQUIRE(wait_for_post_to("C0GENERAL", "Hand Sam the release order"));
  CHECK(has(posted_to("C0GENERAL"), "What do you think?"));
  CHECK(has(posted_to("C0GENERAL"), "<@U0ALICE> shares a reflection"));

  // Remind me in a week: the follow-up comes when the clock gets there.
  press(c, "reflect_remind", "how it went", "U0ALICE", *button_value(summary, "reflect_remind"));
  at(december(13, 12h), {&bot});
  CHECK_FALSE(has(posts_since(0), "How did it go?"));
  at(december(14, 12h), {&bot});
  REQUIRE(wait_for_post_to("U0ALICE", "How did it go?"));
  press(c, "reflect_follow_up", "Done: well led");
  press(c, "reflect_follow_up_write", "How did it go?");
  const nlohmann::json form = slack.calls("views.open").back().json["view"];
  const auto kept = slack.wait_for_ack(
      slack.send_view_submission(
          c, "reflect_follow_up", form.value("private_metadata", ""),
          {{"answer", {{"text", {{"type", "plain_text_input"}, {"value", "Sam ran it well"}}}}}},
          "U0ALICE"),
      5s);
  REQUIRE(kept);
  REQUIRE(wait_for_post_to("U0ALICE", "Kept with your reflection"));
  CHECK(has(bot.store->export_user("U0ALICE").dump(), "Sam ran it well"));
  CHECK(has(reflect(c, "stats"), "1 of 1 follow-up answered"));
}

TEST_CASE_METHOD(Person,
                 "nobody but its author sees a reflection: not admins, figures or exports") {
  RunningBot bot(slack, reflecting(test_config(slack), ":memory:"), clock);
  const int c = connect(bot, 1);
  reflect(c, "leaders");
  REQUIRE(wait_for_post_to("U0ALICE", "Lead leaders"));
  write(c, "Secret-Sam", "leader or as a follower");
  write(c, "leader", "what would they ask you");
  write(c, "Secret question", "decision");
  write(c, "Secret decision", "Your next step");
  const std::string history = reflect(c, "history");
  CHECK(has(history, "Lead leaders"));
  const auto open = button_value(nlohmann::json::parse(history)["payload"], "reflect_open");
  REQUIRE(open);
  // Carol is an admin: counts only, and none of alice's words anywhere.
  const std::string figures = reflect(c, "stats", "U0CAROL");
  CHECK(has(figures, "Everyone, last 90 days:* 1 started, 1 completed"));
  for (const std::string& seen :
       {figures, reflect(c, "history", "U0CAROL"), bot.store->export_user("U0CAROL").dump()}) {
    CHECK_FALSE(has(seen, "Secret"));
  }
  const std::size_t before = slack.calls("response_url").size();
  slack.send_block_action(c, "reflect_open", *open, "U0CAROL", "D0CAROL");
  REQUIRE(slack.wait_for_calls("response_url", before + 1, 5s));
  CHECK(has(slack.calls("response_url").back().body, "can't find that reflection"));
  CHECK_FALSE(has(slack.calls("response_url").back().body, "Secret"));
  // Alice's own Open shows it; forget removes it all, the follow-up included.
  press(c, "reflect_open", "Secret decision", "U0ALICE", *open);
  press(c, "reflect_remind", "how it went");
  CHECK(count(bot, "SELECT count(*) FROM jobs WHERE kind = 'reflect.follow_up'") == 1);
  bot.store->forget_user("U0ALICE");
  CHECK(count(bot, "SELECT count(*) FROM reflections") == 0);
  CHECK(count(bot, "SELECT count(*) FROM jobs WHERE kind LIKE 'reflect.%' AND state = 'pending'") ==
        0);
}

TEST_CASE_METHOD(Person, "two quick messages on two instances on PostgreSQL both land once") {
  ScratchPostgresDatabase database;
  RunningBot one(slack, reflecting(test_config(slack), database.url()), clock);
  RunningBot two(slack, reflecting(test_config(slack), database.url()), clock);
  REQUIRE(slack.wait_for_open_connections(2, 5s));
  REQUIRE(one.bot->client().wait_until_live(1, 5s));
  REQUIRE(two.bot->client().wait_until_live(1, 5s));
  const auto connections = slack.open_connections();
  reflect(connections[0], "gap");
  REQUIRE(wait_for_post_to("U0ALICE", "How are things right now?"));
  // One message to each instance, at once.
  slack.send_direct_message(connections[0], "First answer", "Ev-two-1", 0, "U0ALICE");
  slack.send_direct_message(connections[1], "Second answer", "Ev-two-2", 0, "U0ALICE");
  // Whichever comes second is applied after the first was saved: the
  // dialog moves two steps, and the third question is asked.
  REQUIRE(wait_for_post_to("U0ALICE", "step 3 of 5"));
  const auto session = one.store->dialog("U0ALICE");
  REQUIRE(session);
  CHECK(session->step == 2);
  const auto answers = session->answers["a"];
  CHECK(answers.size() == 2);
  // Each once: both answers are there, neither twice.
  const std::string both = answers.dump();
  CHECK(has(both, "First answer"));
  CHECK(has(both, "Second answer"));
}
