#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// Slack's mrkdwn treats &, < and > as control characters: anything a user
// wrote must pass through escape() before it goes into a message, so nobody can
// smuggle <!channel>, <!here>, a fake <@U…> mention or a disguised link
// through the bot. Mentions the bot means to make are built by mention().
namespace ff::mrkdwn {

// The entities &amp; &lt; &gt; (as Slack sends them in a person's text) are
// kept as they are, not escaped a second time.
std::string escape(std::string_view user_text);

// escape(), except for the mentions and links Slack itself put in a
// person's text: <@U123|name> and <#C123|name> stay mentions, as the person
// meant them, reduced to the validated id; a web link keeps its address in
// sight ("docs (<https://x>)"). Everything else in <…>, broadcasts
// included, is escaped.
std::string escape_keeping_mentions(std::string_view user_text);

// The first `wanted` outside Slack's <…> markup, or npos: the | inside
// <@U123|name> is not a separator.
std::size_t find_outside_markup(std::string_view text, char wanted);

// Cuts text to at most max_chars Unicode code points (Slack counts characters,
// not bytes), never inside a UTF-8 sequence or an escape entity, and ends a cut
// text with an ellipsis. Invalid UTF-8 bytes are replaced with U+FFFD so Slack
// never rejects the message for its encoding.
std::string truncate(std::string_view text, std::size_t max_chars);

// Cuts text into pieces of at most max_chars code points each, with the same
// care as truncate() and no ellipsis: for text spread over several blocks.
std::vector<std::string> split(std::string_view text, std::size_t max_chars);

// Number of code points in valid UTF-8 text.
std::size_t char_count(std::string_view text);

// True for an id that starts with one of `first_letters` and holds only
// upper-case letters and digits (2 to 32 characters): nothing in it can
// close a mention and open another one.
bool has_id_shape(std::string_view id, std::string_view first_letters);

// True for ids Slack gives users and bots (U…, W…, B…): upper-case letters and
// digits only, so the id cannot close the mention and open another one.
bool is_user_id(std::string_view id);
bool is_channel_id(std::string_view id);

// <@U123> for a validated user id; throws std::invalid_argument otherwise.
std::string mention(std::string_view user_id);

}  // namespace ff::mrkdwn
