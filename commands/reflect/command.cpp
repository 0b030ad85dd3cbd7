// /reflect: the flows to start, one started by name, the person's own
// reflections and figures, and the registrations of the whole feature.
#include "bot/schedule/recurrence.hpp"
#include "bot/slack/mrkdwn.hpp"
#include "commands/help.hpp"
#include "commands/people.hpp"
#include "commands/reflect/parts.hpp"
#include "commands/wording.hpp"

namespace ff::commands::reflect {
namespace {

using nlohmann::json;

constexpr int kHistoryShown = 10;

std::string first_word(const std::string& text, std::string* rest) {
  const std::string t(trimmed(text));
  const auto space = t.find_first_of(" \t\n");
  if (rest)
    *rest = space == std::string::npos ? std::string() : std::string(trimmed(t.substr(space)));
  std::string word = t.substr(0, space);
  for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

Message flows_offer(const ReflectServices& services, const std::string& note) {
  Message m;
  m.text = "Which reflection would you like?";
  if (!note.empty()) m.add(blocks::section(note));
  std::string list = "*A reflection, privately, one question at a time.* Pick one:";
  std::vector<json> buttons;
  for (const Flow* flow : services.prompts.flows().listed()) {
    list += "\n• *" + mrkdwn::escape(flow->title) + "* (`/reflect " + flow->id +
            "`): " + mrkdwn::escape(flow->summary);
    if (buttons.size() < 25) buttons.push_back(blocks::button(flow->title, kStartAction, flow->id));
  }
  m.add(blocks::section(list));
  if (!buttons.empty()) m.add(blocks::actions("reflect_flows", std::move(buttons)));
  m.add(
      blocks::context({"Only you see what you write. `/reflect history` shows your past "
                       "reflections."}));
  return m;
}

// "*Close a gap* · Thursday 3 Dec, 17:00": which reflection, and when.
std::string title_and_time(const ReflectServices& services, const store::Reflection& r,
                           const std::string& zone) {
  return "*" + mrkdwn::escape(flow_title(services, r.flow)) + "* · " +
         moment_in_words(r.ended_at.value_or(r.started_at), zone);
}

// A reflection worth listing: neither cancelled (nothing kept) nor under way.
bool is_had(const store::Reflection& r) {
  return r.state != "cancelled" && r.state != "open";
}

Reply history(const ReflectServices& services, const std::string& user) {
  const auto mine = services.reflections.reflections_of(user, kHistoryShown + 1);
  Message m;
  m.text = "Your reflections";
  std::size_t shown = 0;
  for (const auto& r : mine) {
    if (!is_had(r)) continue;
    if (shown == static_cast<std::size_t>(kHistoryShown)) break;
    const std::string zone =
        time_zone_of(services, services.profiles, user, services.nudge_settings.default_time_zone)
            .zone;
    std::string line = title_and_time(services, r, zone);
    line += r.state == "completed" ? "" : " · left unfinished";
    if (!r.action.empty()) {
      line += "\n:dart: _" + mrkdwn::escape(mrkdwn::truncate(r.action, 200)) + "_";
    }
    m.add(blocks::section(line));
    if (r.state == "completed") {
      m.add(blocks::actions("reflect_history_" + std::to_string(r.id),
                            {blocks::button("Open", kOpenAction, json{{"r", r.id}}.dump())}));
    }
    ++shown;
  }
  if (shown == 0) {
    return say("You have no finished reflections yet. `/reflect` starts one.");
  }
  m.blocks.insert(m.blocks.begin(),
                  blocks::section("*Your reflections*, newest first. Only you can see them."));
  return Reply::with(m);
}

Reply stats(const ReflectServices& services, const std::string& user) {
  const TimePoint since = services.clock.now() - kReflectionFiguresSince;
  std::string text =
      "*Your reflections, last 90 days:* " +
      reflection_figures_in_words(services.reflections.reflection_figures(user, since));
  if (services.is_admin(user)) {
    // Counts only: nobody's answers, and nobody's name.
    text += "\n*Everyone, last 90 days:* " +
            reflection_figures_in_words(services.reflections.reflection_figures({}, since));
  }
  return say(text);
}

Reply on_command(const ReflectServices& services, const SlashCommand& command) {
  std::string rest;
  const std::string word = first_word(command.text, &rest);
  if (word == "help") return Reply::with(reflect_help(services.prompts.flows()));
  if (word == "history") return history(services, command.user_id);
  if (word == "stats") return stats(services, command.user_id);
  if (services.prompts.flows().listed().empty()) {
    return say("No reflections are installed: the prompt files hold no dialog flows.");
  }
  if (word.empty()) {
    if (const auto state = dialog_of(services, command.user_id)) {
      return Reply::with(resume_offer(*state, state->flow().id));
    }
    return Reply::with(flows_offer(services, {}));
  }
  const Flow* flow = services.prompts.flows().by_id(word);
  if (flow == nullptr || !flow->listed) {
    return Reply::with(flows_offer(
        services,
        "I don't know the reflection `" + mrkdwn::escape(mrkdwn::truncate(word, 40)) + "`."));
  }
  Reply reply = start_dialog(services, command.user_id, *flow, {}, 0, false);
  const bool in_direct_message = !command.channel_id.empty() && command.channel_id[0] == 'D';
  if (!reply.message && !in_direct_message) {
    return say(":seedling: I've started *" + mrkdwn::escape(flow->title) +
               "* in our direct messages.");
  }
  return reply;
}

}  // namespace
}  // namespace ff::commands::reflect

namespace ff::commands {

std::string reflection_figures_in_words(const store::ReflectionFigures& f) {
  if (f.started == 0 && f.follow_ups_asked == 0) return "none yet";
  return counted(f.started, "started", "started") + ", " +
         counted(f.completed, "completed", "completed") + ", " +
         counted(f.abandoned, "left unfinished", "left unfinished") + ", " +
         counted(f.actions, "action chosen", "actions chosen") +
         (f.follow_ups_asked == 0 ? std::string()
                                  : ", " + std::to_string(f.follow_ups_answered) + " of " +
                                        counted(f.follow_ups_asked, "follow-up") + " answered");
}

Message reflection_choices(const ReflectServices& services) {
  return reflect::flows_offer(services, {});
}

std::string latest_reflections(const ReflectServices& services, const std::string& user_id,
                               int count) {
  const std::string zone =
      time_zone_of(services, services.profiles, user_id, services.nudge_settings.default_time_zone)
          .zone;
  std::string text;
  int shown = 0;
  // A few more than asked, for the cancelled and unfinished among them.
  for (const auto& r : services.reflections.reflections_of(user_id, count + 5)) {
    if (!reflect::is_had(r) || shown == count) continue;
    text += (shown++ == 0 ? "" : "\n") + reflect::title_and_time(services, r, zone);
  }
  return text;
}

std::optional<Reply> reflect_on_question(const ReflectServices& services,
                                         const std::string& user_id, const std::string& question,
                                         std::int64_t nudge_id) {
  const Flow* flow = services.prompts.flows().by_id(kQuestionFlow);
  if (flow == nullptr) return std::nullopt;
  return reflect::start_dialog(services, user_id, *flow, question, nudge_id, false);
}

void register_reflect(EnvelopeRouter::Routes routes, const ReflectServices& services) {
  using namespace reflect;
  routes.command("/reflect", [services](const SlashCommand& c) { return on_command(services, c); });
  routes.action(kStartAction, [services](const BlockAction& a) {
    const Flow* flow = services.prompts.flows().by_id(a.value);
    if (flow == nullptr)
      return say("That reflection is no longer installed. `/reflect` lists them.");
    return start_dialog(services, a.user_id, *flow, {}, 0, false);
  });
  register_conversation(routes, services);
  register_ending(routes, services);
}

void register_reflect_jobs(JobScheduler& scheduler, const ReflectServices& services) {
  using namespace reflect;
  scheduler.handle(kDialogExpiryJob, [services](const store::Job& job, JobControl& control) {
    return expire_dialog(services, job, control);
  });
  scheduler.handle(kFollowUpJob, [services](const store::Job& job, JobControl& control) {
    return ask_follow_up(services, job, control);
  });
}

}  // namespace ff::commands
