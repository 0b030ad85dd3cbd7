// The dialog's state machine alone, over small flows written here: how each
// word and button moves it, and what it keeps. The conversation around it
// (Slack, the store, several instances) is tested in tests/store.
#include <catch2/catch.hpp>

#include <string>

#include "bot/flows.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "commands/reflect/dialog.hpp"

using namespace ff;
using namespace ff::commands::reflect;
using Next = Turn::Next;

namespace {

// Three steps: a list of two or three, a question per item, and a choice
// whose "no" branches to a last text step.
const char* kFlows = R"(
[[flow]]
id = "weigh"
title = "Weigh"
summary = "S"

  [[flow.step]]
  id = "options"
  kind = "list"
  text = "Your options?"
  label = "Options"
  min = 2
  max = 3

  [[flow.step]]
  id = "costs"
  kind = "each"
  of = "options"
  text = "What does {item} cost?"
  label = "Costs"

  [[flow.step]]
  id = "sure"
  kind = "choice"
  text = "Sure?"
  label = "Sure"
  next = "end"
  choices = [
    { label = "Yes", value = "yes" },
    { label = "Not at all", value = "no", next = "why" },
  ]

  [[flow.step]]
  id = "why"
  kind = "text"
  text = "Why not?"
  label = "Why"
  action = true
)";

struct Dialog {
  FlowLibrary library = FlowLibrary::parse(kFlows, "test.toml");
  const Flow& flow = *library.by_id("weigh");
  DialogState state{flow, DialogState::begin(flow, "U0ALICE", 7, {}, 0, {})};

  std::string at() const { return state.step().id + "#" + std::to_string(state.position().item); }
};

}  // namespace

TEST_CASE("dialog: a list takes one item per message, refuses done too early, stops at its most") {
  Dialog d;
  CHECK(d.at() == "options#0");
  CHECK_FALSE(d.state.can_go_back());
  CHECK(d.state.write("Stay").next == Next::kListMore);
  const Turn early = d.state.done();
  CHECK(early.next == Next::kSame);
  CHECK(early.note.find("at least 2") != std::string::npos);
  CHECK(d.state.write("Move").next == Next::kListMore);
  // The third is the most the list takes: on to the next step, saying so.
  const Turn full = d.state.write("Build");
  CHECK(full.next == Next::kAsk);
  CHECK(full.note == "That makes 3.");
  CHECK(d.at() == "costs#0");
  // An each-step goes through the items of its list.
  CHECK(d.state.items() == std::vector<std::string>{"Stay", "Move", "Build"});
  CHECK(d.state.question_text() == "What does Stay cost?");
}

TEST_CASE("dialog: back takes out the latest item of a list, then goes to the step before") {
  Dialog d;
  d.state.write("Stay");
  d.state.write("Move");
  const Turn out = d.state.back();
  CHECK(out.next == Next::kListMore);
  CHECK(out.note.find("Move") != std::string::npos);
  CHECK(d.state.items() == std::vector<std::string>{"Stay"});
  d.state.write("Move");
  CHECK(d.state.done().next == Next::kAsk);
  CHECK(d.at() == "costs#0");
  d.state.write("Nothing");
  CHECK(d.at() == "costs#1");
  // Back to the first item shows what was answered there.
  CHECK(d.state.back().next == Next::kAsk);
  CHECK(d.at() == "costs#0");
  CHECK(d.state.earlier_answer() == "Nothing");
}

TEST_CASE("dialog: a choice in words or by value branches; words that name none are refused") {
  Dialog d;
  d.state.write("Stay");
  d.state.write("Move");
  d.state.done();
  d.state.write("A");
  d.state.write("B");
  CHECK(d.at() == "sure#0");
  const Turn refused = d.state.write("perhaps");
  CHECK(refused.next == Next::kSame);
  CHECK(refused.note == "Choose with a button, or write *Yes* or *Not at all*.");
  CHECK(d.state.write("NOT AT ALL").next == Next::kAsk);  // a label, in any case
  CHECK(d.at() == "why#0");
  CHECK(d.state.write("Too slow").next == Next::kFinished);
  CHECK(d.state.action() == "Too slow");
  // A choice is kept by its value: a label can be reworded later.
  CHECK(d.state.answers()["sure"] == "no");
}

TEST_CASE("dialog: the Yes branch ends at once; skip leaves a question out of the answers") {
  Dialog d;
  d.state.write("Stay");
  d.state.write("Move");
  d.state.done();
  CHECK(d.state.skip().next == Next::kAsk);
  CHECK(d.at() == "costs#1");
  d.state.write("B");
  CHECK(d.state.choose("yes").next == Next::kFinished);
  const std::string kept = d.state.answers().dump();
  CHECK(kept.find("\"B\"") != std::string::npos);
  CHECK(d.state.action().empty());  // the action step was never reached
}

TEST_CASE("dialog: answers are trimmed, empty ones refused, long ones cut on a character") {
  Dialog d;
  CHECK(d.state.write("   ").next == Next::kSame);
  CHECK(d.state.items().empty());
  std::string long_answer;
  for (std::size_t i = 0; i < kAnswerLimit + 100; ++i) long_answer += "é";
  const Turn cut = d.state.write(long_answer);
  CHECK(cut.note.find("2,500 characters") != std::string::npos);
  REQUIRE(d.state.items().size() == 1);
  const std::string kept = d.state.items()[0];
  // Whole two-byte characters only, the last one an ellipsis.
  CHECK(mrkdwn::char_count(kept) == kAnswerLimit);
  CHECK(kept.size() == (kAnswerLimit - 1) * 2 + std::string("…").size());
  d.state.write("  <!channel> & <@U0BOB>  ");
  d.state.done();
  // The person's own text in a question is escaped: no broadcast, no ping.
  d.state.skip();
  CHECK(d.state.question_text() == "What does &lt;!channel&gt; &amp; &lt;@U0BOB&gt; cost?");
}

TEST_CASE("dialog: a message ts is applied once; only the latest few are remembered") {
  Dialog d;
  CHECK_FALSE(d.state.seen("1.000001"));
  d.state.remember("1.000001");
  CHECK(d.state.seen("1.000001"));
  for (std::size_t i = 0; i < kSeenMessages; ++i) d.state.remember("2.00000" + std::to_string(i));
  CHECK_FALSE(d.state.seen("1.000001"));
}

TEST_CASE("dialog: steering words, in any case and with punctuation, and everything else answers") {
  CHECK(steer_of("Back") == Steer::kBack);
  CHECK(steer_of(" skip ") == Steer::kSkip);
  CHECK(steer_of("CANCEL") == Steer::kCancel);
  CHECK(steer_of("help?") == Steer::kHelp);
  CHECK(steer_of("Where am I?") == Steer::kWhere);
  CHECK(steer_of("done.") == Steer::kDone);
  CHECK(steer_of("go back to the start of the plan") == Steer::kAnswer);
  CHECK(only_emoji(":tada: :+1::skin-tone-2:"));
  CHECK(only_emoji("🎉 !"));
  CHECK_FALSE(only_emoji(":tada: shipped"));
  CHECK_FALSE(only_emoji(""));
}
