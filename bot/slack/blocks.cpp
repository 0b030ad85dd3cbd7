#include "bot/slack/blocks.hpp"

#include <algorithm>
#include <stdexcept>

#include "bot/slack/mrkdwn.hpp"

namespace ff::blocks {

using nlohmann::json;

json section(std::string_view mrkdwn_text) {
  return {{"type", "section"},
          {"text",
           {{"type", "mrkdwn"}, {"text", mrkdwn::truncate(mrkdwn_text, Limits::kSectionText)}}}};
}

json header(std::string_view plain_text) {
  return {{"type", "header"},
          {"text",
           {{"type", "plain_text"},
            {"text", mrkdwn::truncate(plain_text, Limits::kHeaderText)},
            {"emoji", true}}}};
}

json context(const std::vector<std::string>& mrkdwn_texts) {
  json elements = json::array();
  for (const auto& text : mrkdwn_texts) {
    if (elements.size() == Limits::kElementsPerContext) break;
    elements.push_back(
        {{"type", "mrkdwn"}, {"text", mrkdwn::truncate(text, Limits::kContextText)}});
  }
  return {{"type", "context"}, {"elements", std::move(elements)}};
}

json divider() {
  return {{"type", "divider"}};
}

json button(std::string_view plain_text, std::string_view action_id, std::string_view value,
            ButtonStyle style) {
  json b = {{"type", "button"},
            {"text",
             {{"type", "plain_text"},
              {"text", mrkdwn::truncate(plain_text, Limits::kButtonText)},
              {"emoji", true}}},
            {"action_id", mrkdwn::truncate(action_id, Limits::kActionId)},
            {"value", std::string(value)}};
  // A cut value would be a different value (half a JSON object, another
  // id): refuse it, so a test that builds the message finds it. State that
  // does not fit belongs in the store, with its id in the value.
  if (mrkdwn::char_count(value) > Limits::kButtonValue) {
    throw std::length_error("button " + std::string(action_id) + ": value of " +
                            std::to_string(mrkdwn::char_count(value)) +
                            " characters, over Slack's " + std::to_string(Limits::kButtonValue));
  }
  if (style == ButtonStyle::kPrimary) b["style"] = "primary";
  if (style == ButtonStyle::kDanger) b["style"] = "danger";
  return b;
}

json actions(std::string_view block_id, std::vector<json> buttons) {
  if (buttons.size() > Limits::kElementsPerActions) buttons.resize(Limits::kElementsPerActions);
  return {
      {"type", "actions"}, {"block_id", std::string(block_id)}, {"elements", std::move(buttons)}};
}

namespace {
json plain(std::string_view text, std::size_t limit) {
  return {{"type", "plain_text"}, {"text", mrkdwn::truncate(text, limit)}};
}
}  // namespace

json text_input(std::string_view block_id, std::string_view action_id, std::string_view label,
                std::string_view placeholder, std::size_t max_length,
                const TextInputOptions& options) {
  const std::size_t limit = std::min(max_length, Limits::kInputMaxLength);
  json element = {{"type", "plain_text_input"},
                  {"action_id", std::string(action_id)},
                  {"multiline", options.multiline},
                  {"max_length", limit},
                  {"placeholder", plain(placeholder, 150)}};
  if (!options.initial.empty()) element["initial_value"] = mrkdwn::truncate(options.initial, limit);
  json input = {{"type", "input"},
                {"block_id", std::string(block_id)},
                {"label", plain(label, Limits::kInputLabel)},
                {"element", std::move(element)}};
  if (options.optional) input["optional"] = true;
  return input;
}

json user_select(std::string_view block_id, std::string_view action_id, std::string_view label) {
  return {{"type", "input"},
          {"block_id", std::string(block_id)},
          {"label", plain(label, Limits::kInputLabel)},
          {"element", {{"type", "users_select"}, {"action_id", std::string(action_id)}}}};
}

json conversation_select(std::string_view block_id, std::string_view action_id,
                         std::string_view label) {
  return {{"type", "input"},
          {"block_id", std::string(block_id)},
          {"label", plain(label, Limits::kInputLabel)},
          {"element",
           {{"type", "conversations_select"},
            {"action_id", std::string(action_id)},
            {"default_to_current_conversation", true},
            {"filter", {{"include", {"public", "private"}}, {"exclude_bot_users", true}}}}}};
}

json checkbox(std::string_view block_id, std::string_view action_id, std::string_view label,
              std::string_view option_text, std::string_view option_value) {
  return {
      {"type", "input"},
      {"block_id", std::string(block_id)},
      {"optional", true},
      {"label", plain(label, Limits::kInputLabel)},
      {"element",
       {{"type", "checkboxes"},
        {"action_id", std::string(action_id)},
        {"options", {{{"text", plain(option_text, 75)}, {"value", std::string(option_value)}}}}}}};
}

json modal(std::string_view callback_id, std::string_view title, std::string_view submit,
           std::vector<json> blocks, std::string_view private_metadata) {
  if (private_metadata.size() > Limits::kPrivateMetadata) {
    throw std::length_error("private_metadata over Slack's 3,000 characters");
  }
  if (blocks.size() > Limits::kBlocksPerView) blocks.resize(Limits::kBlocksPerView);
  return {{"type", "modal"},
          {"callback_id", std::string(callback_id)},
          {"title", plain(title, Limits::kViewTitle)},
          {"submit", plain(submit, Limits::kViewTitle)},
          {"close", plain("Cancel", Limits::kViewTitle)},
          {"private_metadata", std::string(private_metadata)},
          {"blocks", std::move(blocks)}};
}

}  // namespace ff::blocks

namespace ff {

Message& Message::add(nlohmann::json block) {
  if (blocks.size() < blocks::Limits::kBlocksPerMessage) blocks.push_back(std::move(block));
  return *this;
}

Message Message::plain(std::string_view mrkdwn_text, ResponseType type) {
  Message m;
  m.text = mrkdwn::truncate(mrkdwn_text, blocks::Limits::kSectionText);
  m.response_type = type;
  m.add(blocks::section(mrkdwn_text));
  return m;
}

nlohmann::json Message::to_response_json() const {
  nlohmann::json j = {
      {"text", mrkdwn::truncate(text, blocks::Limits::kMessageText)},
      {"response_type", response_type == ResponseType::kInChannel ? "in_channel" : "ephemeral"}};
  if (!blocks.empty()) j["blocks"] = blocks;
  if (replace_original) j["replace_original"] = true;
  return j;
}

nlohmann::json Message::to_post_json(std::string_view channel) const {
  nlohmann::json j = {{"channel", std::string(channel)},
                      {"text", mrkdwn::truncate(text, blocks::Limits::kMessageText)}};
  if (!blocks.empty()) j["blocks"] = blocks;
  if (!thread_ts.empty()) j["thread_ts"] = thread_ts;
  return j;
}

}  // namespace ff
