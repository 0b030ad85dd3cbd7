// The coaching commands through the fake Slack: /coach and its buttons,
// /nit with its buttons, shortcut and modal, /sixmonths, and the figures.
// The fake's commands come from U0ALICE unless a test says otherwise.
#include <catch2/catch.hpp>

#include <set>

#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;

namespace {

struct Workspace : ConnectedBot {
  // The ack payload of a slash command: its reply.
  nlohmann::json command(const std::string& name, const std::string& text,
                         const std::string& user = "U0ALICE") {
    const auto ack =
        slack.wait_for_ack(slack.send_slash_command(c, name, text, true, {}, user), 5s);
    REQUIRE(ack);
    REQUIRE(ack->contains("payload"));
    return (*ack)["payload"];
  }

  // What the bot posted to response_url after the n-th call there.
  std::string response(std::size_t n) {
    REQUIRE(slack.wait_for_calls("response_url", n, 5s));
    return slack.calls("response_url").at(n - 1).body;
  }

  std::vector<nlohmann::json> posts_to(const std::string& channel) {
    std::vector<nlohmann::json> found;
    for (const auto& call : slack.calls("chat.postMessage")) {
      if (call.json.value("channel", "") == channel) found.push_back(call.json);
    }
    return found;
  }

  nlohmann::json wait_for_post_to(const std::string& channel, std::size_t count = 1) {
    for (int i = 0; i < 250 && posts_to(channel).size() < count; ++i) {
      std::this_thread::sleep_for(20ms);
    }
    const auto found = posts_to(channel);
    REQUIRE(found.size() >= count);
    return found.at(count - 1);
  }

  // The value of the first button with this action id in a message.
  static std::string button_value(const nlohmann::json& message, const std::string& action_id) {
    for (const auto& block : message.value("blocks", nlohmann::json::array())) {
      for (const auto& element : block.value("elements", nlohmann::json::array())) {
        if (element.value("action_id", "") == action_id) return element.value("value", "");
      }
    }
    FAIL("no button " << action_id << " in " << message.dump());
    return {};
  }
};

bool contains(const nlohmann::json& json, const std::string& text) {
  return json.dump().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE_METHOD(Workspace,
                 "/coach posts to the channel with buttons for another question and a "
                 "thread") {
  const auto reply = command("/coach", "");
  CHECK(reply["response_type"] == "in_channel");
  CHECK(contains(reply, "coach_another"));
  CHECK(contains(reply, "coach_discuss"));
}

TEST_CASE_METHOD(Workspace,
                 "/coach me shows a question only to the caller, without channel "
                 "buttons") {
  const auto reply = command("/coach", "me strategy");
  CHECK(reply["response_type"] == "ephemeral");
  CHECK(contains(reply, "Only you see this question"));
  CHECK_FALSE(contains(reply, "coach_discuss"));
  CHECK(contains(command("/coach", "me nonsense"), "I don't know the category"));
}

TEST_CASE_METHOD(Workspace, "/coach @someone sends them a question by DM and tells the caller") {
  const auto reply = command("/coach", "<@U0BOB|bob> should we <!channel> rewrite the importer?");
  CHECK(reply["response_type"] == "ephemeral");
  CHECK(contains(reply, "Sent <@U0BOB> a question instead of an answer"));
  const auto dm = wait_for_post_to("U0BOB");
  CHECK(contains(dm, "<@U0ALICE> would rather ask you a question"));
  CHECK(contains(dm, "&lt;!channel&gt;"));
  CHECK_FALSE(contains(dm, "<!channel>"));
}

TEST_CASE_METHOD(Workspace, "/coach @someone refuses people it cannot or should not reach") {
  CHECK(contains(command("/coach", "<@U0NOBODY|nobody> hi"), "can't find that person"));
  CHECK(contains(command("/coach", "<@U0BOT|firstfollower>"), "That's me"));
  CHECK(contains(command("/coach", "<@U0ALICE|alice>"), "That's you"));
  CHECK(contains(command("/coach", "<@U0GONE|gone>"), "deactivated"));
  CHECK(contains(command("/coach", "@bob what now"), "couldn't tell who"));
  CHECK(posts_to("U0NOBODY").empty());
  CHECK(contains(command("/coach", "<@U0BOB> " + std::string(1200, 'x')), "a bit long"));
}

TEST_CASE_METHOD(Workspace, "Discuss in a thread opens a thread under the question") {
  const auto card = command("/coach", "gap");
  const std::string prompt_id = button_value(card, "coach_discuss");
  slack.send_block_action(c, "coach_discuss", prompt_id);
  const auto opener = wait_for_post_to("C0GENERAL");
  CHECK(opener["thread_ts"] == "1700000000.000100");
  CHECK(contains(opener, "<@U0ALICE> opened the discussion"));
  slack.send_block_action(c, "coach_discuss", "no-such-prompt");
  CHECK(response(1).find("looks altered") != std::string::npos);
  // A post Slack refused gives the claim back: pressing again opens it.
  const auto second = command("/coach", "gap");
  slack.queue_method_faults("chat.postMessage", {{200, "not_in_channel"}});
  slack.send_block_action(c, "coach_discuss", button_value(second, "coach_discuss"), "U0ALICE",
                          "C0GENERAL", "1700000000.000200");
  REQUIRE(slack.wait_for_calls("response_url", 2, 5s));
  CHECK(response(2).find("/invite @firstfollower") != std::string::npos);
  slack.send_block_action(c, "coach_discuss", button_value(second, "coach_discuss"), "U0ALICE",
                          "C0GENERAL", "1700000000.000200");
  // The third post to the channel: the refused one was the second.
  const auto reopened = wait_for_post_to("C0GENERAL", 3);
  CHECK(reopened["thread_ts"] == "1700000000.000200");
  // Pressed again, by anyone: still one thread, and they are told where it is.
  slack.send_block_action(c, "coach_discuss", prompt_id, "U0BOB");
  CHECK(response(3).find("open already") != std::string::npos);
  std::size_t threads = 0;
  for (const auto& call : slack.calls("chat.postMessage")) {
    threads += call.answer.value("ok", false) && call.json.value("channel", "") == "C0GENERAL";
  }
  CHECK(threads == 2);  // one under each card
}

TEST_CASE_METHOD(Workspace, "/coach @a @b sends each of them a question, and says who got one") {
  const auto reply =
      command("/coach", "<@U0BOB|bob> <@U0CAROL|carol> <@U0GONE|gone> how do we ship?");
  CHECK(contains(reply, "Sent <@U0BOB> a question"));
  CHECK(contains(reply, "Sent <@U0CAROL> a question"));
  CHECK(contains(reply, "Not sent to <@U0GONE>: That account is deactivated."));
  const auto to_bob = wait_for_post_to("U0BOB");
  const auto to_carol = wait_for_post_to("U0CAROL");
  CHECK(contains(to_bob, "how do we ship?"));
  CHECK(contains(to_carol, "how do we ship?"));
  CHECK(posts_to("U0GONE").empty());
  // The context after the names is not mistaken for another person.
  CHECK_FALSE(contains(to_bob, "carol"));
  CHECK(contains(command("/coach", "<@U0BOB> <@U0BOB> again"), "Sent <@U0BOB>"));
  CHECK(posts_to("U0BOB").size() == 2);  // named twice, sent once
  std::string crowd;
  for (int i = 0; i < 11; ++i) crowd += "<@U0P" + std::to_string(i) + "> ";
  CHECK(contains(command("/coach", crowd + "hi"), "more than 10 people"));
}

TEST_CASE_METHOD(Workspace, "/nit @a @b gives each the same feedback, their own to answer") {
  const auto reply = command("/nit", "<@U0BOB|bob> <@U0CAROL|carol> the summary could lead");
  CHECK(contains(reply, "Sent to <@U0BOB> as non-blocking feedback"));
  CHECK(contains(reply, "Sent to <@U0CAROL> as non-blocking feedback"));
  const auto to_bob = wait_for_post_to("U0BOB");
  const auto to_carol = wait_for_post_to("U0CAROL");
  CHECK(contains(to_bob, "the summary could lead"));
  CHECK(button_value(to_bob, "nit_ack") != button_value(to_carol, "nit_ack"));
  CHECK(contains(command("/nit", "<@U0BOB|bob> <@U0ALICE|alice> again"),
                 "Not sent to <@U0ALICE>: That's you."));
}

TEST_CASE_METHOD(Workspace, "mentions, links and ampersands in what people write read right") {
  // Slack sends & < > escaped, mentions and links in <…>.
  const auto question =
      command("/sixmonths", "Q&amp;A with <@U0BOB|bob>, see <https://x.example/adr|the ADR>");
  const std::string shown = question.dump();
  CHECK(contains(question, "Q&amp;A with <@U0BOB>, see the ADR (<https://x.example/adr>)"));
  CHECK(shown.find("&amp;amp;") == std::string::npos);
  command("/nit", "<@U0BOB|bob> pair with <@U0CAROL|carol> on R&amp;D");
  const auto dm = wait_for_post_to("U0BOB");
  CHECK(contains(dm, "pair with <@U0CAROL> on R&amp;D"));
  CHECK_FALSE(contains(dm, "U0CAROL|carol"));
}

TEST_CASE_METHOD(Workspace, "a channel sees most of a category before a question comes back") {
  // 11 questions in direction: the first 9 draws (11 - 11/4) are all different.
  std::set<std::string> seen;
  for (int i = 0; i < 9; ++i) {
    const auto card = command("/coach", "direction");
    seen.insert(button_value(card, "coach_discuss"));
  }
  CHECK(seen.size() == 9);
}

TEST_CASE_METHOD(Workspace,
                 "/nit delivers non-blocking feedback the receiver answers, and the "
                 "sender hears of it") {
  const auto reply =
      command("/nit", "<@U0BOB|bob> the summary could lead with the decision <!here>");
  CHECK(contains(reply, "Sent to <@U0BOB> as non-blocking feedback"));
  const auto dm = wait_for_post_to("U0BOB");
  CHECK(contains(dm, "Non-blocking feedback from <@U0ALICE>"));
  CHECK(contains(dm, "you decide what to do with it"));
  CHECK(contains(dm, "&lt;!here&gt;"));
  const std::string id = button_value(dm, "nit_ack");

  // Only the receiver may answer, and only once.
  slack.send_block_action(c, "nit_ack", id, "U0ALICE", "D0BOB");
  CHECK(response(1).find("Only <@U0BOB> can answer") != std::string::npos);
  slack.send_block_action(c, "nit_discuss", id, "U0BOB", "D0BOB");
  CHECK(response(2).find("You asked to discuss it") != std::string::npos);
  const auto told = wait_for_post_to("U0ALICE");
  CHECK(contains(told, "<@U0BOB> would like to discuss your feedback"));
  slack.send_block_action(c, "nit_ack", id, "U0BOB", "D0BOB");
  CHECK(response(3).find("already answered") != std::string::npos);
  slack.send_block_action(c, "nit_ack", "12abc", "U0BOB", "D0BOB");
  CHECK(response(4).find("looks altered") != std::string::npos);
}

TEST_CASE_METHOD(Workspace, "/nit says plainly when feedback blocks, and refuses bad input") {
  CHECK(contains(command("/nit", "<@U0BOB> blocking: the migration needs a rollback plan"),
                 "as blocking feedback"));
  CHECK(contains(wait_for_post_to("U0BOB"), "marked this as blocking"));
  CHECK(contains(command("/nit", ""), "/nit @someone"));
  CHECK(contains(command("/nit", "bob is great"), "Start with the person"));
  CHECK(contains(command("/nit", "<@U0BOB>"), "What would you like to tell them"));
  CHECK(contains(command("/nit", "<@U0BOB> " + std::string(2500, 'y')), "longer than 2000"));
  CHECK(contains(command("/nit", "<@U0BOT> you are slow"), "That's me"));
  CHECK(contains(command("/nit", "<@U0NOBODY> hi"), "can't find that person"));
  CHECK(posts_to("U0BOB").size() == 1);
}

TEST_CASE_METHOD(Workspace,
                 "the message shortcut opens a feedback form, and its answer is "
                 "delivered") {
  slack.send_message_shortcut(c, "nit_on_message", "Let's ship on Friday", "U0BOB");
  REQUIRE(slack.wait_for_calls("views.open", 1, 5s));
  const auto view = slack.calls("views.open").at(0).json["view"];
  CHECK(view["callback_id"] == "nit_modal");
  const std::string metadata = view["private_metadata"];
  CHECK(contains(nlohmann::json::parse(metadata), "U0BOB"));

  // An empty answer keeps the form open with an error on the field.
  const auto empty = slack.wait_for_ack(
      slack.send_view_submission(
          c, "nit_modal", metadata,
          {{"nit_text", {{"text", {{"type", "plain_text_input"}, {"value", "  "}}}}}}),
      5s);
  REQUIRE(empty);
  CHECK((*empty)["payload"]["response_action"] == "errors");
  CHECK(contains((*empty)["payload"]["errors"], "nit_text"));

  const auto sent = slack.wait_for_ack(
      slack.send_view_submission(
          c, "nit_modal", metadata,
          {{"nit_text", {{"text", {{"type", "plain_text_input"}, {"value", "Maybe Monday?"}}}}},
           {"nit_blocking", {{"blocking", {{"type", "checkboxes"}, {"selected_options", {}}}}}}}),
      5s);
  REQUIRE(sent);
  CHECK_FALSE(sent->contains("payload"));  // an empty ack closes the form
  const auto dm = wait_for_post_to("U0BOB");
  CHECK(contains(dm, "Let's ship on Friday"));
  CHECK(contains(dm, "Maybe Monday?"));
  CHECK(contains(wait_for_post_to("U0ALICE"), "Sent to <@U0BOB>"));

  // Tampered metadata, and feedback on one's own message.
  const auto tampered = slack.wait_for_ack(
      slack.send_view_submission(c, "nit_modal", R"({"to":"<!channel>"})", {}), 5s);
  REQUIRE(tampered);
  CHECK(contains(*tampered, "looks altered"));
  const auto picked_nobody = slack.wait_for_ack(
      slack.send_view_submission(
          c, "nit_modal", R"({"to":""})",
          {{"nit_to", {{"user", {{"type", "users_select"}, {"selected_user", "<!here>"}}}}},
           {"nit_text", {{"text", {{"type", "plain_text_input"}, {"value", "hi"}}}}}}),
      5s);
  REQUIRE(picked_nobody);
  CHECK(contains(*picked_nobody, "Pick who the feedback is for"));
  slack.send_message_shortcut(c, "nit_on_message", "my own words", "U0ALICE");
  CHECK(response(1).find("your own message") != std::string::npos);
}

TEST_CASE_METHOD(Workspace,
                 "a feedback form shows errors Slack is slow to tell, and one that fails "
                 "after it closed is told to its author") {
  const nlohmann::json to_nobody = {
      {"nit_to", {{"user", {{"type", "users_select"}, {"selected_user", "U0NOBODY"}}}}},
      {"nit_text", {{"text", {{"type", "plain_text_input"}, {"value", "hi"}}}}}};
  // users.info is rate limited once: the answer takes over a second, far
  // past a slash command's 100 ms, and still reaches the open form.
  slack.queue_method_faults("users.info", {{429, "", 1}});
  const auto slow =
      slack.wait_for_ack(slack.send_view_submission(c, "nit_modal", R"({"to":""})", to_nobody), 5s);
  REQUIRE(slow);
  INFO(slow->dump());
  REQUIRE(slow->contains("payload"));
  CHECK((*slow)["payload"]["response_action"] == "errors");
  CHECK(contains(*slow, "can't find that person"));

  // Delivery rate limited for longer than Slack keeps a form waiting: the
  // form closes, and its author is told by DM that nothing was delivered.
  slack.queue_method_faults("chat.postMessage", {{429, "", 2}, {429, "", 2}, {429, "", 2}});
  const nlohmann::json to_bob = {
      {"nit_to", {{"user", {{"type", "users_select"}, {"selected_user", "U0BOB"}}}}},
      {"nit_text", {{"text", {{"type", "plain_text_input"}, {"value", "Maybe Monday?"}}}}}};
  const auto closed =
      slack.wait_for_ack(slack.send_view_submission(c, "nit_modal", R"({"to":""})", to_bob), 5s);
  REQUIRE(closed);
  CHECK_FALSE(closed->contains("payload"));
  REQUIRE(slack.wait_for_calls("chat.postMessage", 4, 15s));  // three refused, then the DM
  const auto told = wait_for_post_to("U0ALICE");
  CHECK(contains(told, "closed before I could finish it"));
  CHECK(contains(told, "I couldn't deliver it (ratelimited)"));
}

TEST_CASE_METHOD(Workspace,
                 "/sixmonths asks privately, suggests leading or following, and "
                 "records one decision per asking") {
  const auto question = command("/sixmonths", "which CI provider we move to");
  CHECK(question["response_type"] == "ephemeral");
  const std::string value = button_value(question, "sixmonths_no");

  slack.send_block_action(c, "sixmonths_no", value, "U0BOB");
  CHECK(response(1).find("That question was for <@U0ALICE>") != std::string::npos);
  slack.send_block_action(c, "sixmonths_no", value);
  const std::string follow = response(2);
  CHECK(follow.find("let someone else lead it") != std::string::npos);
  CHECK(follow.find("nit_open") != std::string::npos);
  slack.send_block_action(c, "sixmonths_unsure", value);
  CHECK(response(3).find("A question that helps decide") != std::string::npos);
  slack.send_block_action(c, "sixmonths_yes", value);
  CHECK(response(4).find("so lead it") != std::string::npos);
  slack.send_block_action(c, "sixmonths_yes", "{\"u\":1}");
  CHECK(response(5).find("looks altered") != std::string::npos);
  slack.send_block_action(c, "sixmonths_yes", R"({"u":"<!channel>","d":"x"})");
  CHECK(response(6).find("looks altered") != std::string::npos);

  // One asking is one decision however often it was answered: the last
  // answer stands. A new asking of the same words is a decision of its own.
  auto decisions = bot.store->decisions_of("U0ALICE");
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].answer == "yes");
  const auto again = command("/sixmonths", "which CI provider we move to");
  slack.send_block_action(c, "sixmonths_no", button_value(again, "sixmonths_no"));
  response(7);
  decisions = bot.store->decisions_of("U0ALICE");
  REQUIRE(decisions.size() == 2);
  CHECK(decisions[1].answer == "no");
  CHECK(bot.store->figures("U0ALICE").sixmonth_led == 1);
  CHECK(bot.store->figures("U0ALICE").sixmonth_followed == 1);
  CHECK(bot.store->figures("U0ALICE").sixmonth_unsure == 0);
  CHECK(contains(command("/sixmonths", ""), "will matter to you in six months"));  // help
  CHECK(contains(command("/sixmonths", std::string(600, 'z')), "in a sentence"));
}

TEST_CASE_METHOD(Workspace, "/coach stats shows people their own figures and admins the team's") {
  command("/coach", "");
  command("/coach", "", "U0BOB");
  command("/nit", "<@U0BOB> a thought");
  command("/nit", "<@U0BOB> blocking: a must");
  const auto question = command("/sixmonths", "the logo colour");
  slack.send_block_action(c, "sixmonths_no", button_value(question, "sixmonths_no"));
  response(1);

  const auto mine = command("/coach", "stats");
  CHECK(mine["response_type"] == "ephemeral");
  CHECK(contains(mine, "Questions drawn: 1"));
  CHECK(contains(mine, "Feedback given: 2, non-blocking: 1 (50%)"));
  CHECK(contains(mine, "followed 1, led 0"));
  CHECK_FALSE(contains(mine, "The whole team"));

  const auto admin = command("/coach", "stats", "U0CAROL");
  CHECK(contains(admin, "The whole team"));
  CHECK(contains(admin, "Questions drawn: 2"));
  CHECK(contains(admin, "<@U0ALICE>: 1 question,"));
}

TEST_CASE_METHOD(Workspace, "help for each command, and the overview") {
  CHECK(contains(command("/coach", "help"), "/coach @someone"));
  CHECK(contains(command("/nit", "help"), "blocking:"));
  CHECK(contains(command("/sixmonths", "help"), "six months"));
  slack.send_direct_message(c, "help", "Ev-help-1");
  CHECK(contains(wait_for_post_to("D0ALICE"), "/sixmonths"));
}
