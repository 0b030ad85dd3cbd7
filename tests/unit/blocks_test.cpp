#include <catch2/catch.hpp>

#include "bot/slack/blocks.hpp"
#include "bot/slack/mrkdwn.hpp"

using namespace ff;

TEST_CASE("escape neutralises mentions, broadcasts and disguised links") {
  CHECK(mrkdwn::escape("<!channel> hi <@U123> <https://evil|innocent> & co") ==
        "&lt;!channel&gt; hi &lt;@U123&gt; &lt;https://evil|innocent&gt; &amp; co");
  CHECK(mrkdwn::escape("plain *bold* text") == "plain *bold* text");
}

TEST_CASE("text Slack escaped already is not escaped twice") {
  // Slack sends "Q&A <draft>" in a command as "Q&amp;A &lt;draft&gt;".
  CHECK(mrkdwn::escape("Q&amp;A &lt;draft&gt;") == "Q&amp;A &lt;draft&gt;");
  CHECK(mrkdwn::escape_keeping_mentions("Q&amp;A with <@U0SAM|sam>") == "Q&amp;A with <@U0SAM>");
  // A bare & or a look-alike is still escaped.
  CHECK(mrkdwn::escape("R&D &amp &ampx; &lt") == "R&amp;D &amp;amp &amp;ampx; &amp;lt");
}

TEST_CASE("a link Slack made keeps its address in sight") {
  CHECK(mrkdwn::escape_keeping_mentions("see <https://x.example/doc|the doc>") ==
        "see the doc (<https://x.example/doc>)");
  CHECK(mrkdwn::escape_keeping_mentions("<https://x.example>") == "<https://x.example>");
  CHECK(mrkdwn::escape_keeping_mentions("<https://x.example|https://x.example>") ==
        "<https://x.example>");
  // The label is text, never markup; other schemes are escaped whole.
  CHECK(mrkdwn::escape_keeping_mentions("<https://x.example|&amp; <!here>") ==
        "&amp; &lt;!here (<https://x.example>)");
  CHECK(mrkdwn::escape_keeping_mentions("<https://a<b>") == "&lt;https://a&lt;b&gt;");
  CHECK(mrkdwn::escape_keeping_mentions("<javascript:alert(1)|click>") ==
        "&lt;javascript:alert(1)|click&gt;");
}

TEST_CASE("escape_keeping_mentions keeps the mentions Slack made and nothing else") {
  CHECK(mrkdwn::escape_keeping_mentions("Pair with <@U0SAM|sam> in <#C0GEN|general>") ==
        "Pair with <@U0SAM> in <#C0GEN>");
  CHECK(mrkdwn::escape_keeping_mentions("<@U0SAM>") == "<@U0SAM>");
  // Broadcasts, forged ids and unclosed markup are escaped; a link shows
  // where it leads, so its label cannot disguise it.
  CHECK(mrkdwn::escape_keeping_mentions("<!channel> <https://evil|innocent>") ==
        "&lt;!channel&gt; innocent (<https://evil>)");
  CHECK(mrkdwn::escape_keeping_mentions("<@u0sam> <@U0SAM><!here> <@U1 & <@U2") ==
        "&lt;@u0sam&gt; <@U0SAM>&lt;!here&gt; &lt;@U1 &amp; &lt;@U2");
  CHECK(mrkdwn::escape_keeping_mentions("<@U0SAM|<!channel>>") == "<@U0SAM>&gt;");
  CHECK(mrkdwn::escape_keeping_mentions("a < b > c") == "a &lt; b &gt; c");
}

TEST_CASE("find_outside_markup skips the | inside a mention") {
  CHECK(mrkdwn::find_outside_markup("Pair with <@U0SAM|sam> | why", '|') == 23);
  CHECK(mrkdwn::find_outside_markup("no bar <@U0SAM|sam>", '|') == std::string::npos);
  CHECK(mrkdwn::find_outside_markup("a | b", '|') == 2);
}

TEST_CASE("truncate counts characters, not bytes, and never splits a sequence") {
  const std::string accents = "ééééé";  // 5 characters, 10 bytes
  CHECK(mrkdwn::truncate(accents, 5) == accents);
  const std::string cut = mrkdwn::truncate(accents, 3);
  CHECK(cut == "éé…");
  CHECK(mrkdwn::char_count(cut) == 3);
}

TEST_CASE("truncate never leaves half an escape entity") {
  const std::string escaped = mrkdwn::escape("ab<cd");  // ab&lt;cd
  const std::string cut = mrkdwn::truncate(escaped, 5);
  CHECK(cut.find("&l") == std::string::npos);
  CHECK(cut == "ab…");
}

TEST_CASE("truncate replaces invalid UTF-8 so Slack accepts the text") {
  const std::string bad = std::string("ok") + char(0xC3) + "x";
  CHECK(mrkdwn::truncate(bad, 10) == "ok\xEF\xBF\xBDx");
}

TEST_CASE("mention accepts only real user ids") {
  CHECK(mrkdwn::mention("U012ABC") == "<@U012ABC>");
  CHECK_THROWS(mrkdwn::mention("U12>|<!channel"));
  CHECK_THROWS(mrkdwn::mention("u123"));
  CHECK_FALSE(mrkdwn::is_user_id(""));
}

TEST_CASE("builders keep text within Slack's limits") {
  const std::string long_text(5000, 'a');
  const auto section = blocks::section(long_text);
  CHECK(mrkdwn::char_count(section["text"]["text"].get<std::string>()) ==
        blocks::Limits::kSectionText);
  const auto button = blocks::button(std::string(100, 'b'), "act", std::string(2000, 'v'));
  CHECK(mrkdwn::char_count(button["text"]["text"].get<std::string>()) ==
        blocks::Limits::kButtonText);
  CHECK(button["value"].get<std::string>().size() == blocks::Limits::kButtonValue);
}

TEST_CASE("a button value Slack would not keep whole is refused, never cut") {
  // 2,000 characters of two bytes each are still within the limit.
  std::string accents;
  for (int i = 0; i < 2000; ++i) accents += "\u00e9";
  CHECK_NOTHROW(blocks::button("ok", "act", accents));
  CHECK_THROWS_AS(blocks::button("too long", "act", std::string(2001, 'v')), std::length_error);
}

TEST_CASE("a message never holds more than 50 blocks") {
  Message m;
  for (int i = 0; i < 80; ++i) m.add(blocks::divider());
  CHECK(m.blocks.size() == blocks::Limits::kBlocksPerMessage);
}

TEST_CASE("response json carries response_type and replace_original") {
  Message m = Message::plain("hi", ResponseType::kInChannel);
  m.replace_original = true;
  const auto j = m.to_response_json();
  CHECK(j["response_type"] == "in_channel");
  CHECK(j["replace_original"] == true);
  CHECK(j["blocks"].size() == 1);
  CHECK(m.to_post_json("C1")["channel"] == "C1");
}
