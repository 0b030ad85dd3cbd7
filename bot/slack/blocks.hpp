#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

// Block Kit builders for the blocks the bot sends. Every builder takes text
// that is already mrkdwn (escape user text first with mrkdwn::escape) and cuts
// it to Slack's limits, because Slack rejects a whole message (invalid_blocks)
// when one field is too long.
namespace ff::blocks {

struct Limits {
  static constexpr std::size_t kBlocksPerMessage = 50;
  static constexpr std::size_t kBlocksPerView = 100;
  static constexpr std::size_t kSectionText = 3000;
  static constexpr std::size_t kHeaderText = 150;
  static constexpr std::size_t kContextText = 2000;
  static constexpr std::size_t kButtonText = 75;
  static constexpr std::size_t kButtonValue = 2000;
  static constexpr std::size_t kActionId = 255;
  static constexpr std::size_t kElementsPerActions = 25;
  static constexpr std::size_t kElementsPerContext = 10;
  static constexpr std::size_t kMessageText = 40000;
  static constexpr std::size_t kViewTitle = 24;
  static constexpr std::size_t kPrivateMetadata = 3000;
  static constexpr std::size_t kInputLabel = 2000;
  static constexpr std::size_t kInputMaxLength = 3000;
};

enum class ButtonStyle { kDefault, kPrimary, kDanger };

nlohmann::json section(std::string_view mrkdwn_text);
nlohmann::json header(std::string_view plain_text);
nlohmann::json context(const std::vector<std::string>& mrkdwn_texts);
nlohmann::json divider();
// Throws std::length_error when `value` is longer than Slack keeps: a value
// is never cut, since a cut one would be another value.
nlohmann::json button(std::string_view plain_text, std::string_view action_id,
                      std::string_view value, ButtonStyle style = ButtonStyle::kDefault);
nlohmann::json actions(std::string_view block_id, std::vector<nlohmann::json> buttons);

// Modal pieces. Titles and submit labels are cut to Slack's 24 characters,
// private_metadata is refused past its 3,000 (the caller must keep it small).
// A text box; `initial` is what it shows filled in (an edit), cut to
// `max_length` characters. An optional one may be sent empty.
struct TextInputOptions {
  std::string_view initial;
  bool multiline = true;
  bool optional = false;
};
nlohmann::json text_input(std::string_view block_id, std::string_view action_id,
                          std::string_view label, std::string_view placeholder,
                          std::size_t max_length, const TextInputOptions& options = {});
nlohmann::json user_select(std::string_view block_id, std::string_view action_id,
                           std::string_view label);
// A channel picker (public and private channels the person is in), the
// channel the person is in chosen at first where Slack knows it.
nlohmann::json conversation_select(std::string_view block_id, std::string_view action_id,
                                   std::string_view label);
nlohmann::json checkbox(std::string_view block_id, std::string_view action_id,
                        std::string_view label, std::string_view option_text,
                        std::string_view option_value);
nlohmann::json modal(std::string_view callback_id, std::string_view title, std::string_view submit,
                     std::vector<nlohmann::json> blocks, std::string_view private_metadata);

}  // namespace ff::blocks

namespace ff {

enum class ResponseType { kEphemeral, kInChannel };

// One message as the bot sends it: a fallback text (notifications, screen
// readers) and blocks. add() keeps it within Slack's block limit.
struct Message {
  std::string text;
  nlohmann::json blocks = nlohmann::json::array();
  ResponseType response_type = ResponseType::kEphemeral;
  bool replace_original = false;
  std::string thread_ts;  // posts as a reply in that message's thread

  Message& add(nlohmann::json block);
  static Message plain(std::string_view mrkdwn_text, ResponseType type = ResponseType::kEphemeral);

  // The fields Slack expects in a slash-command ack payload or a
  // response_url post.
  nlohmann::json to_response_json() const;
  // The fields of chat.postMessage (channel is added by the caller).
  nlohmann::json to_post_json(std::string_view channel) const;
};

}  // namespace ff
