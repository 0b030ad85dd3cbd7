// Feeds arbitrary bytes to the Socket Mode frame parser and to the mrkdwn
// helpers every reply goes through, checking their promises on each input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bot/slack/blocks.hpp"
#include "bot/slack/envelope.hpp"
#include "bot/slack/mrkdwn.hpp"

namespace {
void require(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ff::Frame frame = ff::parse_frame(text);
  if (const auto* envelope = std::get_if<ff::Envelope>(&frame)) {
    require(!envelope->envelope_id.empty());
    require(!ff::describe(envelope->request).empty());
    // Whatever got through names people, channels and teams by Slack ids.
    bool ids_are_slack_ids = true;
    try {
      ff::check_ids(envelope->request);
    } catch (const ff::ForgedId&) {
      ids_are_slack_ids = false;
    }
    require(ids_are_slack_ids);
    // A parsed payload, serialized the way the bot sees it, parses again to
    // the same request kind.
    if (const auto* command = std::get_if<ff::SlashCommand>(&envelope->request)) {
      const nlohmann::json payload = {{"command", command->command},
                                      {"user_id", command->user_id},
                                      {"channel_id", command->channel_id},
                                      {"text", command->text}};
      const auto again = ff::parse_request("slash_commands", payload);
      require(std::get<ff::SlashCommand>(again).text == command->text);
    }
  }

  // Escaped text can never open a mention, link or broadcast.
  const std::string escaped = ff::mrkdwn::escape(text);
  require(escaped.find('<') == std::string::npos && escaped.find('>') == std::string::npos);
  const std::size_t limit = size % 200;
  const std::string cut = ff::mrkdwn::truncate(escaped, limit);
  require(ff::mrkdwn::char_count(cut) <= limit);
  // And a message built from it is always valid JSON within Slack's limits.
  const ff::Message message = ff::Message::plain(text);
  require(!message.to_response_json()
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
               .empty());
  return 0;
}
