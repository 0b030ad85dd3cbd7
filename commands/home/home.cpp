// App Home: one view per person with what waits for them and how they lead.
// Each part comes from the feature that owns it, so a button here does what
// the same button does in a DM: Endorse is the nudge's Endorse.
#include "commands/home/home.hpp"

#include <spdlog/spdlog.h>

#include "bot/schedule/working_time.hpp"
#include "bot/slack/blocks.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "commands/initiative/initiative.hpp"
#include "commands/reflect/reflect.hpp"
#include "commands/wording.hpp"

namespace ff::commands {
namespace {

using nlohmann::json;

// How many of each list the view shows: two blocks an initiative, which
// leaves room for the rest within Slack's 100 blocks.
constexpr std::size_t kWaitingShown = 20;
constexpr std::size_t kYoursShown = 10;
constexpr std::size_t kNamesShown = 10;

std::string time_zone_of(const HomeServices& services, const std::string& user_id) {
  const auto profile = services.profiles.profile(user_id);
  return profile && !profile->time_zone.empty() ? profile->time_zone : "UTC";
}

std::string waited_in_words(std::chrono::minutes waited, const WorkingHours& hours) {
  if (waited < std::chrono::hours{1}) return "waiting less than a working hour";
  if (waited < hours.per_day())
    return "waiting " + counted(waited / std::chrono::hours{1}, "working hour");
  return "waiting " + counted(waited / hours.per_day(), "working day");
}

// Mentions of the first few, then how many more.
std::string names(const std::vector<std::string>& user_ids) {
  std::string text;
  std::size_t shown = 0;
  for (const auto& id : user_ids) {
    if (!mrkdwn::is_user_id(id)) continue;
    if (shown == kNamesShown) {
      text += " and " + std::to_string(user_ids.size() - shown) + " more";
      break;
    }
    text += (shown++ == 0 ? "" : ", ") + mrkdwn::mention(id);
  }
  return text;
}

std::string title_of(const store::Initiative& i) {
  return "*#" + std::to_string(i.id) + " " + mrkdwn::escape_keeping_mentions(i.title) + "*";
}

void add_waiting(std::vector<json>& out, const HomeServices& services, const std::string& user,
                 const std::vector<store::Initiative>& waiting) {
  out.push_back(blocks::header("Waiting for you"));
  if (waiting.empty()) {
    out.push_back(
        blocks::context({"Nothing waits for your endorsement. When someone starts an "
                         "initiative you are asked to back, it shows here."}));
    return;
  }
  const std::string zone = time_zone_of(services, user);
  const auto& hours = services.initiative_settings.working_hours;
  const auto now = services.clock.now();
  for (std::size_t n = 0; n < waiting.size() && n < kWaitingShown; ++n) {
    const auto& i = waiting[n];
    out.push_back(blocks::section(
        title_of(i) + "\n" + mrkdwn::mention(i.owner_id) + " in <#" + i.channel_id + "> · " +
        waited_in_words(working_time_between(i.created_at, now, zone, hours), hours)));
    out.push_back(endorsement_buttons(i, user, "home_waiting_" + std::to_string(i.id)));
  }
  if (waiting.size() > kWaitingShown) {
    out.push_back(
        blocks::context({"…and " + std::to_string(waiting.size() - kWaitingShown) +
                         " more, oldest first above. `/endorse <number>` backs any of them."}));
  }
}

void add_yours(std::vector<json>& out, const HomeServices& services,
               const std::vector<store::Initiative>& led) {
  out.push_back(blocks::header("Yours"));
  if (led.empty()) {
    out.push_back(blocks::context(
        {"No open initiative of yours. `/initiative <title> | <why>` in a channel starts one."}));
    return;
  }
  for (std::size_t n = 0; n < led.size() && n < kYoursShown; ++n) {
    const auto& i = led[n];
    std::vector<std::string> endorsers, followers;
    std::string first;
    for (const auto& e : services.initiatives.endorsements(i.id)) {
      (e.kind == "endorse" ? endorsers : followers).push_back(e.user_id);
      if (e.first_follower && mrkdwn::is_user_id(e.user_id)) first = e.user_id;
    }
    std::string text = title_of(i) + " in <#" + i.channel_id + ">";
    text += endorsers.empty() ? "\nNo endorsement yet." : "\nEndorsed by " + names(endorsers);
    if (!followers.empty()) text += "\nFollowed by " + names(followers);
    if (!first.empty()) text += "\nFirst follower: " + mrkdwn::mention(first);
    out.push_back(blocks::section(text));
    const std::string id = std::to_string(i.id);
    out.push_back(
        blocks::actions("home_yours_" + id,
                        {blocks::button("Done", kDoneAction, id, blocks::ButtonStyle::kPrimary),
                         blocks::button("Drop", kDropAction, id, blocks::ButtonStyle::kDanger)}));
  }
  if (led.size() > kYoursShown) {
    out.push_back(blocks::context({"…and " + std::to_string(led.size() - kYoursShown) +
                                   " more. `/initiative list` in a channel shows its own."}));
  }
}

void add_message(std::vector<json>& out, const Message& message) {
  if (message.blocks.empty()) {
    out.push_back(blocks::section(message.text));
    return;
  }
  for (const auto& block : message.blocks) out.push_back(block);
}

bool is_new_here(const HomeServices& services, const std::string& user, bool waits, bool leads) {
  if (waits || leads) return false;
  if (services.nudges.schedules.schedule("user", user)) return false;
  const auto figures = services.coach.figures.figures(user);
  return figures.questions_drawn == 0 && figures.feedback_given == 0;
}

}  // namespace

json home_view(const HomeServices& services, const std::string& user_id) {
  const auto waiting = services.initiatives.awaiting_endorsement(user_id);
  const auto led = services.initiatives.led_by(user_id);
  std::vector<json> out;
  if (is_new_here(services, user_id, !waiting.empty(), !led.empty())) {
    out.push_back(blocks::section(
        ":wave: *Welcome to firstfollower.* I coach you to lead leaders: questions instead of "
        "answers, quick support for other people's initiatives, feedback that does not block. "
        "Three things to try:\n• `/coach` in a channel draws a coaching question to ask your "
        "team\n• `/initiative <title> | <why>` starts an initiative and asks the right people "
        "to back it\n• `/nudges weekdays 17:00` sends you a short reflection question at a time "
        "that suits you"));
    out.push_back(blocks::divider());
  }
  add_waiting(out, services, user_id, waiting);
  out.push_back(blocks::divider());
  add_yours(out, services, led);
  out.push_back(blocks::divider());
  out.push_back(blocks::header("Nudges"));
  add_message(out, your_nudges(services.nudges, user_id));
  out.push_back(blocks::divider());
  out.push_back(blocks::header("Reflect"));
  add_message(out, reflection_choices(services.nudges.reflect));
  if (const auto latest = latest_reflections(services.nudges.reflect, user_id, 3);
      !latest.empty()) {
    out.push_back(blocks::section("*Your latest reflections*\n" + latest));
  }
  out.push_back(blocks::divider());
  out.push_back(blocks::header("Your figures"));
  for (auto& block : figures_blocks(services.coach, user_id)) out.push_back(std::move(block));
  out.push_back(
      blocks::context({"Only you see your Home. Following is leading too: backing "
                       "someone else's decision early is a choice, not a loss."}));
  // The lists above are capped so this never happens; should a part grow
  // past them, the view is cut with a note rather than refused by Slack.
  if (out.size() > kViewBlockLimit) {
    out.resize(kViewBlockLimit - 1);
    out.push_back(blocks::context({"There is more than fits here; the commands above show it."}));
  }
  return json{{"type", "home"}, {"blocks", out}};
}

void publish_home(const HomeServices& services, const std::string& user_id) {
  if (!mrkdwn::is_user_id(user_id)) return;
  const ApiResult published = services.slack.publish_home(user_id, home_view(services, user_id));
  if (!published.ok) spdlog::warn("could not publish a person's App Home: {}", published.error);
}

void register_home(EnvelopeRouter::Routes routes, const HomeServices& services) {
  routes.event("app_home_opened", [services](const Event& event) {
    // The Messages tab opens the DM, not the Home.
    if (event.tab != "home") return;
    publish_home(services, event.user);
  });
}

}  // namespace ff::commands
