#include "commands/my_data.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/wording.hpp"

namespace ff::commands {
namespace {

// A message holds at most 50 blocks; the export fills at most this many
// sections of code, and says so when it is longer.
constexpr std::size_t kExportSections = 40;
constexpr std::size_t kSectionChars = 2800;

std::int64_t record_count(const nlohmann::json& exported) {
  std::int64_t count = 0;
  for (const auto& [kind, rows] : exported.items()) {
    if (rows.is_array()) count += static_cast<std::int64_t>(rows.size());
  }
  return count;
}

// "feedback_given" reads "feedback given".
std::string readable_kind(std::string kind) {
  std::replace(kind.begin(), kind.end(), '_', ' ');
  return kind;
}

}  // namespace

Reply show_my_data(store::PersonalDataStore& data, const std::string& user_id) {
  const nlohmann::json exported = data.export_user(user_id);
  Message m;
  const std::int64_t records = record_count(exported);
  m.text = "What firstfollower stores about you: " + counted(records, "record") + ".";
  if (records == 0) {
    m.add(blocks::section("I store nothing about you. :sparkles:"));
    return Reply::with(std::move(m));
  }
  std::string summary = "*What I store about you* (" + counted(records, "record") + "):";
  for (const auto& [kind, rows] : exported.items()) {
    if (rows.is_array() && !rows.empty()) {
      summary += "\n• " + readable_kind(kind) + ": " + std::to_string(rows.size());
    }
  }
  m.add(blocks::section(summary));
  // The JSON as code, split into sections Slack accepts; user text inside is
  // escaped like any other.
  const auto pieces = mrkdwn::split(mrkdwn::escape(exported.dump(1)), kSectionChars);
  for (std::size_t n = 0; n < pieces.size() && n < kExportSections; ++n) {
    m.add(blocks::section("```" + pieces[n] + "```"));
  }
  if (pieces.size() > kExportSections) {
    m.add(
        blocks::context({"The rest did not fit in a message. Your Slack admin can print all of "
                         "it with `firstfollower export --user " +
                         user_id + "`."}));
  }
  m.add(blocks::context({"To delete all of it, type `/coach forget-me`."}));
  return Reply::with(std::move(m));
}

Reply offer_to_forget(const std::string& user_id) {
  Message m;
  m.text = "Delete everything firstfollower stores about you?";
  m.add(blocks::section(
      "*Delete everything I store about you?*\nYour initiatives, endorsements, feedback you gave "
      "and received, six-month answers, the questions you drew, nudge schedules, an unfinished "
      "dialog and scheduled reminders about you. This cannot be undone."));
  // The value names the person the offer was made to; a press by anyone
  // else is refused.
  m.add(blocks::actions("my_data", {blocks::button("Delete my data", kForgetMeAction, user_id)}));
  return Reply::with(std::move(m));
}

void register_my_data(EnvelopeRouter::Routes routes, store::PersonalDataStore& data) {
  routes.action(kForgetMeAction, [&data](const BlockAction& action) {
    if (action.value != action.user_id || !mrkdwn::is_user_id(action.user_id)) {
      return Reply::with(Message::plain(
          "That button was made for someone else, so I ignored it. Type `/coach forget-me` to "
          "delete your own data."));
    }
    const auto removed = data.forget_user(action.user_id);
    std::int64_t total = 0;
    std::string kinds;
    for (const auto& [kind, count] : removed) {
      if (count == 0) continue;
      total += count;
      kinds += "\n• " + readable_kind(kind) + ": " + std::to_string(count);
    }
    spdlog::info("forgot a user on their request: {} record(s)", total);
    Reply reply = Reply::with(Message::plain(
        total == 0 ? ":wastebasket: Done. I held nothing about you, so there was nothing to delete."
                   : ":wastebasket: Done. I deleted " + counted(total, "record") + " about you:" +
                         kinds + "\nMessages already posted in Slack stay in Slack."));
    reply.message->replace_original = true;
    return reply;
  });
}

}  // namespace ff::commands
