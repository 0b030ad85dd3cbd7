#include "commands/sixmonths.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/help.hpp"
#include "commands/nit.hpp"
#include "commands/people.hpp"

namespace ff::commands {
namespace {

// The answers, as action ids and as recorded.
const std::pair<const char*, const char*> kAnswers[] = {
    {"sixmonths_yes", "yes"}, {"sixmonths_no", "no"}, {"sixmonths_unsure", "unsure"}};

// A key of its own for each asking, so that answering it twice ("not sure",
// then "no", or a double click) records one decision.
std::string new_asked_key() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char key[17];
  std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(random()));
  return key;
}

bool is_asked_key(const std::string& key) {
  return !key.empty() && key.size() <= 32 &&
         key.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The question with its three answers. The buttons carry who asked, the
// decision and the asking's key, so a press needs no server-side state and
// can be checked.
Message the_question(const std::string& user, const std::string& decision,
                     const std::string& asked_key, bool again) {
  Message m;
  m.text = "Will this matter to you in six months?";
  m.add(blocks::section(std::string(again ? "So: " : "") +
                        "*Will this matter to you in six months?*\n" +
                        quoted(decision, kDecisionLimit)));
  const std::string value = nlohmann::json{{"u", user}, {"d", decision}, {"k", asked_key}}.dump();
  m.add(blocks::actions("sixmonths", {blocks::button("Yes, it will", kAnswers[0].first, value),
                                      blocks::button("No, not really", kAnswers[1].first, value),
                                      blocks::button("Not sure", kAnswers[2].first, value)}));
  m.add(blocks::context({"Only you see this."}));
  return m;
}

// A question of the library by id, or any of its category when a team's own
// prompt file replaced it.
std::string question(const PromptLibrary& library, const char* id, const char* category) {
  if (const Prompt* p = library.by_id(id)) return mrkdwn::escape(p->text);
  const auto in = library.in_category(category);
  return in.empty() ? std::string() : mrkdwn::escape(in.front()->text);
}

Message lead_it(const PromptLibrary& library, const std::string& decision) {
  Message m;
  m.text = "Then lead it";
  m.add(blocks::section(":compass: *It matters to you, so lead it.*\n" +
                        quoted(decision, kDecisionLimit)));
  std::string questions = "Lead with questions rather than answers:";
  for (const auto& [id, category] :
       {std::pair{"options-three", "options"}, std::pair{"options-cost", "options"},
        std::pair{"success-know", "success"}}) {
    const std::string q = question(library, id, category);
    if (!q.empty()) questions += "\n• " + q;
  }
  m.add(blocks::section(questions));
  m.replace_original = true;
  return m;
}

Message follow_it(const std::string& decision) {
  Message m;
  m.text = "Then follow whoever leads it";
  m.add(blocks::section(
      ":footprints: *It won't matter to you in six months, so let someone else lead it.*\n" +
      quoted(decision, kDecisionLimit) +
      "\nBack whoever leads it, early, even if you would do it differently. If you have a view, "
      "share it as non-blocking feedback: they decide."));
  m.add(blocks::actions("sixmonths_follow",
                        {blocks::button("Give non-blocking feedback", kNitOpenAction, "",
                                        blocks::ButtonStyle::kPrimary)}));
  m.replace_original = true;
  return m;
}

Message help_decide(const PromptLibrary& library, const std::string& user,
                    const std::string& decision, const std::string& asked_key) {
  Message m = the_question(user, decision, asked_key, true);
  const std::string q = question(library, "follow-who-cares-more", "follow");
  m.blocks.insert(m.blocks.begin(),
                  blocks::section(":thinking_face: A question that helps decide: *" + q + "*"));
  m.replace_original = true;
  return m;
}

Reply answer(const SixMonthsServices& services, const BlockAction& action) {
  const char* recorded = nullptr;
  for (const auto& [id, value] : kAnswers) {
    if (action.action_id == id) recorded = value;
  }
  const auto value = nlohmann::json::parse(action.value, nullptr, false);
  if (recorded == nullptr || !value.is_object() || !value["u"].is_string() ||
      !value["d"].is_string()) {
    return Reply::with(Message::plain(
        "That button looks altered, so I ignored it. Type `/sixmonths <decision>` to start "
        "again."));
  }
  const std::string user = value["u"];
  const std::string decision = value["d"];
  // Buttons from before keys existed carry none: each press of those counts.
  const std::string asked_key = value.value("k", std::string());
  if (!mrkdwn::is_user_id(user) || (!asked_key.empty() && !is_asked_key(asked_key))) {
    return Reply::with(Message::plain("That button looks altered, so I ignored it."));
  }
  if (user != action.user_id) {
    return Reply::with(Message::plain("That question was for " + mrkdwn::mention(user) +
                                      ". Type `/sixmonths <decision>` for your own."));
  }
  try {
    services.decisions.record_decision(
        {0, user, action.channel_id, decision, recorded, services.clock.now(), asked_key});
  } catch (const store::StoreError& error) {
    spdlog::warn("six-month answer not recorded: {}", error.what());
  }
  if (std::string(recorded) == "yes") return Reply::with(lead_it(services.prompts, decision));
  if (std::string(recorded) == "no") return Reply::with(follow_it(decision));
  return Reply::with(help_decide(services.prompts, user, decision, asked_key));
}

}  // namespace

void register_sixmonths(EnvelopeRouter::Routes routes, const SixMonthsServices& services) {
  routes.command("/sixmonths", [](const SlashCommand& command) {
    // Control characters would only grow the buttons' value (JSON writes
    // each as six), past what Slack keeps; a decision has no need of them.
    std::string decision = trimmed(command.text);
    std::replace_if(
        decision.begin(), decision.end(),
        [](char c) { return static_cast<unsigned char>(c) < 0x20; }, ' ');
    if (decision.empty() || decision == "help") return Reply::with(sixmonths_help());
    if (mrkdwn::char_count(decision) > kDecisionLimit) {
      return Reply::with(
          Message::plain("Say the decision in a sentence (under " + std::to_string(kDecisionLimit) +
                         " characters), for example `/sixmonths which CI provider we move to`."));
    }
    return Reply::with(the_question(command.user_id, decision, new_asked_key(), false));
  });
  routes.action(kSixMonthsAnswerAction,
                [services](const BlockAction& action) { return answer(services, action); });
}

}  // namespace ff::commands
