// Initiatives through the fake Slack: the card, endorsing and following, the
// first follower, closing, and every refusal. Commands come from U0ALICE
// unless a test says otherwise; U0CAROL is an admin.
#include <catch2/catch.hpp>

#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;

namespace {

struct Channel : ConnectedBot {
  std::string command(const std::string& name, const std::string& text,
                      const std::string& user = "U0ALICE") {
    const auto ack =
        slack.wait_for_ack(slack.send_slash_command(c, name, text, true, {}, user), 5s);
    REQUIRE(ack);
    return ack->dump();
  }

  // /initiative and Post on its preview.
  std::string post(const std::string& text, const std::string& user = "U0ALICE") {
    return propose_and_post(slack, c, text, user);
  }

  // The edit form of initiative `id`, saved with `text` by `user`: the ack.
  std::string submit_edit(const std::string& id, const std::string& text, const std::string& user) {
    const nlohmann::json values = {
        {"initiative_text", {{"text", {{"type", "plain_text_input"}, {"value", text}}}}}};
    const auto ack = slack.wait_for_ack(
        slack.send_view_submission(c, "initiative_edit", R"({"i":)" + id + "}", values, user), 5s);
    REQUIRE(ack);
    return ack->dump();
  }

  std::string press(const std::string& action, const std::string& value, const std::string& user) {
    const std::size_t before = slack.calls("response_url").size();
    slack.send_block_action(c, action, value, user);
    REQUIRE(slack.wait_for_calls("response_url", before + 1, 5s));
    return slack.calls("response_url").at(before).body;
  }

  std::vector<ApiCall> calls_to(const std::string& method, const std::string& channel) {
    std::vector<ApiCall> found;
    for (const auto& call : slack.calls(method)) {
      if (call.json.value("channel", "") == channel) found.push_back(call);
    }
    return found;
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE_METHOD(Channel, "an initiative's life: card, first follower, updates in place, done") {
  CHECK(has(post("Faster code reviews | two reviewers <!channel>"), "Posted initiative #1"));
  const auto posted = calls_to("chat.postMessage", "C0GENERAL");
  REQUIRE(posted.size() == 1);
  CHECK(has(posted[0].body, "Led by <@U0ALICE>"));
  CHECK(has(posted[0].body, "&lt;!channel&gt;"));
  CHECK_FALSE(has(posted[0].body, "<!channel>"));

  CHECK(has(press("initiative_endorse", "1", "U0BOB"), "You are the first follower"));
  auto updates = calls_to("chat.update", "C0GENERAL");
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].json["ts"] == "1700000000.100001");  // the ts chat.postMessage returned
  CHECK(has(updates[0].body, "First follower: <@U0BOB>"));
  REQUIRE(slack.wait_for_calls("chat.postMessage", 2, 5s));
  CHECK(has(calls_to("chat.postMessage", "U0ALICE").at(0).body, "*first follower*"));

  CHECK(has(command("/endorse", "1", "U0CAROL"), "You endorsed #1"));
  CHECK(has(command("/endorse", "#1", "U0CAROL"), "already endorsed"));  // harmless
  CHECK(has(press("initiative_follow", "1", "U0CAROL"), "You follow #1"));
  updates = calls_to("chat.update", "C0GENERAL");
  REQUIRE(updates.size() == 3);
  CHECK(has(updates.back().body, "Endorsed by <@U0BOB>, <@U0CAROL>"));
  CHECK(has(updates.back().body, "Following: <@U0CAROL>"));
  CHECK(has(command("/initiative", "list"),
            "#1 Faster code reviews, led by <@U0ALICE> (2 endorsed)"));

  CHECK(has(command("/initiative", "done 1"), "Marked #1 done"));
  CHECK(has(calls_to("chat.update", "C0GENERAL").back().body, "Done"));
  CHECK_FALSE(has(calls_to("chat.update", "C0GENERAL").back().body, "initiative_endorse"));
  CHECK(has(press("initiative_endorse", "1", "U0BOB"), "already closed"));
  CHECK(has(command("/initiative", "list"), "No open initiatives"));
}

TEST_CASE_METHOD(Channel, "initiatives refuse what is not allowed, clearly") {
  post("Retire the old wiki");
  CHECK(has(command("/endorse", "1"), "your own initiative"));
  CHECK(
      has(command("/initiative", "done 1", "U0BOB"), "Only <@U0ALICE>, who leads it, or an admin"));
  CHECK(has(command("/endorse", "7", "U0BOB"), "no initiative #7 in this channel"));
  CHECK(has(command("/endorse", "one", "U0BOB"), "Which initiative?"));
  CHECK(has(press("initiative_endorse", "1; DROP TABLE", "U0BOB"), "Which initiative?"));
  CHECK(has(command("/initiative", ""), "/initiative <title>"));
  CHECK(has(command("/initiative", "| only a description"), "What will you lead?"));
  CHECK(has(command("/initiative", std::string(200, 't')), "under 150 characters"));
  // An admin may close someone else's initiative; closing twice is harmless.
  CHECK(has(command("/initiative", "drop 1", "U0CAROL"), "Dropped #1"));
  CHECK(has(command("/initiative", "done 1"), "already closed"));
  CHECK(bot.store->initiative(1)->status == "dropped");
}

TEST_CASE_METHOD(Channel, "a card's button pressed in another channel finds nothing there") {
  post("Private plan for the reorg");
  const std::size_t before = slack.calls("response_url").size();
  // A forged press: the value names #1, which lives in C0GENERAL.
  slack.send_block_action(c, "initiative_endorse", "1", "U0BOB", "C0OTHER");
  REQUIRE(slack.wait_for_calls("response_url", before + 1, 5s));
  const std::string answer = slack.calls("response_url").at(before).body;
  CHECK(has(answer, "no initiative #1 in this channel"));
  CHECK_FALSE(has(answer, "reorg"));  // nothing of it is echoed
  slack.send_block_action(c, "initiative_follow", "1", "U0BOB", "C0OTHER");
  REQUIRE(slack.wait_for_calls("response_url", before + 2, 5s));
  CHECK(bot.store->endorsements(1).empty());
  // Pressed on its card, in its channel, it works.
  CHECK(has(press("initiative_endorse", "1", "U0BOB"), "You are the first follower"));
}

TEST_CASE_METHOD(Channel, "a card that cannot be posted is explained by the real reason") {
  slack.queue_method_faults("chat.postMessage", {{200, "not_in_channel", 0}});
  CHECK(has(post("One"), "I'm not in this channel (not_in_channel)"));
  slack.queue_method_faults("chat.postMessage", {{200, "is_archived", 0}});
  CHECK(has(post("Two"), "This channel is archived"));
  slack.queue_method_faults("chat.postMessage", {{200, "internal_error", 0}});
  const std::string unsure = post("Three");
  CHECK(has(unsure, "it may have happened: look before you try again"));
  CHECK_FALSE(has(unsure, "/invite"));
  // None of the three is public: each stays a draft its author may post again.
  for (std::int64_t id = 1; id <= 3; ++id) CHECK(bot.store->initiative(id)->status == "draft");
}

TEST_CASE_METHOD(Channel, "a mention in an initiative's title stays whole and a mention") {
  // As Slack sends it with the manifest's escaping: the mention has a | of its own.
  CHECK(has(post("Pair with <@U0BOB|bob> | on <#C0GENERAL|general> <!here>"),
            "Posted initiative #1"));
  const auto initiative = bot.store->initiative(1);
  REQUIRE(initiative);
  CHECK(initiative->title == "Pair with <@U0BOB|bob>");
  CHECK(initiative->description == "on <#C0GENERAL|general> <!here>");
  const auto posted = calls_to("chat.postMessage", "C0GENERAL");
  REQUIRE(posted.size() == 1);
  CHECK(has(posted[0].body, "Initiative #1: Pair with <@U0BOB>*"));
  CHECK(has(posted[0].body, "> on <#C0GENERAL> &lt;!here&gt;"));
  CHECK_FALSE(has(posted[0].body, "<!here>"));
  // Every reply that names the initiative shows the mention as one.
  const std::string endorsed = press("initiative_endorse", "1", "U0CAROL");
  CHECK(has(endorsed, "#1 Pair with <@U0BOB>"));
  CHECK_FALSE(has(endorsed, "&lt;@U0BOB"));
}

TEST_CASE_METHOD(Channel, "naming too many leads is refused before any Slack call") {
  std::string many;
  for (int i = 0; i < 51; ++i) many += "<@U0P" + std::to_string(1000 + i) + "|p> ";
  const std::size_t lookups = slack.calls("users.info").size();
  CHECK(has(command("/initiative", "leads " + many, "U0CAROL"), "at most 50 leads"));
  CHECK(slack.calls("users.info").size() == lookups);
  CHECK(bot.store->channel_leads("C0GENERAL").empty());
  // A short list is checked with Slack person by person, and set.
  CHECK(has(command("/initiative", "leads <@U0BOB|bob> <@U0ALICE|alice>", "U0CAROL"),
            "Leads of this channel"));
}

TEST_CASE_METHOD(Channel, "the card's feedback button opens the feedback form for its leader") {
  post("Quarterly demo day");
  slack.send_block_action(c, "initiative_feedback", "1", "U0BOB");
  REQUIRE(slack.wait_for_calls("views.open", 1, 5s));
  const auto view = slack.calls("views.open").at(0).json["view"];
  CHECK(view["callback_id"] == "nit_modal");
  CHECK(has(view["private_metadata"].get<std::string>(), "U0ALICE"));
  CHECK(has(view.dump(), "Quarterly demo day"));
}

TEST_CASE_METHOD(Channel,
                 "a slash command with a forged user id is acked, refused, and stores nothing") {
  const std::string forged = "U0ALICE'); DROP TABLE initiatives;--";
  const auto refused_id =
      slack.send_slash_command(c, "/initiative", "Steal the roadmap", true, {}, forged);
  const auto refused = slack.wait_for_ack(refused_id, 5s);
  REQUIRE(refused);
  CHECK_FALSE(refused->contains("payload"));  // no handler answered it
  CHECK(bot.bot->client().stats().forged_ids == 1);

  // The bot is alive, and the next command is the first thing stored.
  CHECK(has(post("Faster code reviews"), "Posted initiative #1"));
  const auto open = bot.store->open_initiatives("C0GENERAL");
  REQUIRE(open.size() == 1);
  CHECK(open[0].owner_id == "U0ALICE");
  CHECK(open[0].title == "Faster code reviews");
  CHECK(slack.calls("chat.postMessage").size() == 1);
  CHECK(slack.acks(refused_id).size() == 1);
  for (const auto& call : slack.calls("users.info")) CHECK_FALSE(has(call.body, "DROP"));
}

TEST_CASE_METHOD(Channel, "a card whose post is cut off after Slack read it is posted once") {
  Fault reset;
  reset.reset_after_reading = true;
  slack.queue_method_faults("chat.postMessage", {reset});
  const std::string reply = post("Faster code reviews");
  CHECK_FALSE(has(reply, "Posted initiative"));
  CHECK(has(reply, "transport_error"));
  CHECK(slack.calls("chat.postMessage").size() == 1);
}

TEST_CASE_METHOD(Channel,
                 "a channel held by Slack's rate limit holds up only its own posts, not /coach") {
  // Both workers end up waiting on the channel's Retry-After; /coach from
  // someone else must still be answered in its own ack.
  slack.queue_method_faults("chat.postMessage", {Fault{429, "", 2}});
  for (const auto& [title, user] :
       {std::pair{"Faster reviews", "U0ALICE"}, std::pair{"Shorter meetings", "U0CAROL"}}) {
    const auto preview =
        slack.wait_for_ack(slack.send_slash_command(c, "/initiative", title, true, {}, user), 5s);
    REQUIRE(preview);
    const auto draft = button_value(*preview, "initiative_draft_post");
    REQUIRE(draft);
    slack.send_block_action(c, "initiative_draft_post", *draft, user);
  }
  REQUIRE(slack.wait_for_calls("chat.postMessage", 1, 5s));  // the one Slack refused
  const auto coach =
      slack.wait_for_ack(slack.send_slash_command(c, "/coach", "", true, {}, "U0BOB"), 5s);
  REQUIRE(coach);
  CHECK(coach->contains("payload"));
  // The cards follow once the wait is over.
  CHECK(slack.wait_for_calls("chat.postMessage", 3, 10s));
}

TEST_CASE_METHOD(
    Channel,
    "a card posted just before the database failed says so and asks not to post it again") {
  // The database refuses each write that follows the post, as one that went
  // away between the post and the write would: first the card's ts, then
  // (with a lead to nudge) the nudge.
  const auto fail_writes_to = [&](const std::string& table, const std::string& event) {
    bot.store->database().transact([&](store::SqlSession& s) {
      s.run_script("CREATE TRIGGER fail_" + table + " BEFORE " + event + " ON " + table +
                   " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    });
  };
  const auto heals = [&](const std::string& table) {
    bot.store->database().transact(
        [&](store::SqlSession& s) { s.run_script("DROP TRIGGER fail_" + table + ";"); });
  };
  fail_writes_to("initiatives", "UPDATE OF message_ts");
  std::string answer = post("Faster code reviews");
  CHECK(has(answer, "Posted initiative #1, but my database stopped answering"));
  CHECK(has(answer, "Please don't post it again"));
  CHECK(has(answer, "`/endorse 1` still counts"));
  CHECK_FALSE(has(answer, "try again"));
  CHECK(calls_to("chat.postMessage", "C0GENERAL").size() == 1);
  heals("initiatives");
  // The initiative is there, open, for anyone to back.
  CHECK(has(command("/initiative", "list"), "#1 Faster code reviews"));
  CHECK(has(command("/endorse", "1", "U0BOB"), "You are the first follower of #1"));

  CHECK(has(command("/initiative", "leads <@U0BOB|bob>", "U0CAROL"), "Leads of this channel"));
  fail_writes_to("initiative_nudges", "INSERT");
  answer = post("Shorter meetings");
  CHECK(has(answer, "Posted initiative #2, but my database stopped answering"));
  CHECK(has(answer, "may not be asked to back it"));
  CHECK(calls_to("chat.postMessage", "C0GENERAL").size() == 2);
  heals("initiative_nudges");
  // Saved before the nudge failed, its card updates in place.
  CHECK(has(press("initiative_endorse", "2", "U0CAROL"), "You are the first follower of #2"));
  CHECK(has(calls_to("chat.update", "C0GENERAL").back().body, "First follower: <@U0CAROL>"));
}

TEST_CASE_METHOD(Channel, "a new initiative is a preview only its author sees until posted, once") {
  const std::string shown = command("/initiative", "Faster cod reviews | two reviewers");
  CHECK(has(shown, "Only you see this"));
  CHECK(slack.calls("chat.postMessage").empty());  // nothing public, nobody nudged
  const auto draft = button_value(nlohmann::json::parse(shown), "initiative_draft_post");
  REQUIRE(draft);
  // Nobody else may post it, and to them it does not exist yet.
  CHECK(has(press("initiative_draft_post", *draft, "U0BOB"), "Only <@U0ALICE>, who proposed #1"));
  CHECK(has(command("/endorse", "1", "U0BOB"), "no initiative #1"));
  CHECK(has(command("/initiative", "list"), "No open initiatives"));

  // Edit shows the text as typed; saving the form posts it.
  slack.send_block_action(c, "initiative_draft_edit", *draft, "U0ALICE");
  REQUIRE(slack.wait_for_calls("views.open", 1, 5s));
  CHECK(has(slack.calls("views.open")[0].body, "Faster cod reviews | two reviewers"));
  submit_edit("1", "Faster code reviews | two reviewers", "U0ALICE");
  REQUIRE(slack.wait_for_calls("chat.postMessage", 2, 5s));  // the card, and the word to Alice
  const auto cards = calls_to("chat.postMessage", "C0GENERAL");
  REQUIRE(cards.size() == 1);
  CHECK(has(cards[0].body, "Faster code reviews"));
  CHECK_FALSE(has(cards[0].body, "cod reviews"));
  // The preview's Post, pressed late or twice, posts nothing more.
  CHECK(has(press("initiative_draft_post", *draft, "U0ALICE"), "#1 is posted already"));
  CHECK(calls_to("chat.postMessage", "C0GENERAL").size() == 1);

  // Cancel: nothing is posted, and nothing of it is kept.
  const std::string second = command("/initiative", "lst");
  const auto cancelled = button_value(nlohmann::json::parse(second), "initiative_draft_cancel");
  REQUIRE(cancelled);
  CHECK(has(press("initiative_draft_cancel", *cancelled, "U0ALICE"), "Nothing was posted"));
  CHECK_FALSE(bot.store->initiative(std::stoll(*cancelled)));
  CHECK(calls_to("chat.postMessage", "C0GENERAL").size() == 1);
}

TEST_CASE_METHOD(Channel, "an owner edits the title afterwards and the card follows") {
  post("Shorter meetngs");
  CHECK(has(command("/initiative", "edit 1", "U0BOB"), "Only <@U0ALICE>, who leads #1"));
  CHECK(command("/initiative", "edit 1").find("payload") == std::string::npos);
  REQUIRE(slack.wait_for_calls("views.open", 1, 5s));
  CHECK_FALSE(has(submit_edit("1", "Shorter meetings | 25 min", "U0ALICE"), "errors"));
  REQUIRE(slack.wait_for_calls("chat.update", 1, 5s));
  CHECK(has(calls_to("chat.update", "C0GENERAL").back().body, "Shorter meetings"));
  CHECK(bot.store->initiative(1)->description == "25 min");
  // Someone else's submission of the same form changes nothing.
  CHECK(has(submit_edit("1", "Longer meetings", "U0BOB"), "Only <@U0ALICE>"));
  CHECK(bot.store->initiative(1)->title == "Shorter meetings");
}

TEST_CASE_METHOD(Channel, "backers and the owner hear when an initiative closes; unfollow stops") {
  post("Retire the old wiki");
  CHECK(has(press("initiative_endorse", "1", "U0BOB"), "first follower"));
  CHECK(has(press("initiative_follow", "1", "U0CAROL"), "You follow #1"));
  CHECK(has(command("/initiative", "unfollow 1", "U0CAROL"), "You no longer follow #1"));
  CHECK(has(command("/initiative", "unfollow 1", "U0CAROL"), "nothing to stop"));
  // An admin drops it: the owner and the endorser are told, the one who
  // stopped following is not.
  const std::size_t before = slack.calls("chat.postMessage").size();
  CHECK(has(command("/initiative", "drop 1", "U0CAROL"), "Dropped #1"));
  bot.bot->scheduler().run_due();
  REQUIRE(slack.wait_for_calls("chat.postMessage", before + 2, 5s));
  CHECK(has(calls_to("chat.postMessage", "U0ALICE").back().body,
            "<@U0CAROL> dropped your initiative"));
  CHECK(has(calls_to("chat.postMessage", "U0BOB").back().body, "was dropped by <@U0CAROL>"));
  CHECK(calls_to("chat.postMessage", "U0CAROL").empty());
  bot.bot->scheduler().run_due();  // once each, however often the jobs run
  CHECK(slack.calls("chat.postMessage").size() == before + 2);
}
