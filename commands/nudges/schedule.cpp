// /nudges: setting, showing and changing a person's (or a channel's)
// reflection nudges, and their figures.
#include <algorithm>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/help.hpp"
#include "commands/nudges/parts.hpp"
#include "commands/people.hpp"
#include "commands/wording.hpp"

namespace ff::commands::nudges {

Reply say(const std::string& text) {
  return Reply::with(Message::plain(text));
}

Recurrence rule_of(const store::NudgeSchedule& schedule) {
  Recurrence rule;
  rule.weekdays = schedule.weekdays;
  rule.at = std::chrono::minutes{schedule.local_minutes};
  rule.every_weeks = std::max(1, schedule.every_weeks);
  rule.anchor_monday = schedule.anchor_monday;
  return rule;
}

std::string key_prefix(const store::NudgeSchedule& schedule) {
  return "nudge:" + schedule.subject_kind + ":" + schedule.subject_id + ":";
}

store::NewJob nudge_job(const NudgeServices& services, const store::NudgeSchedule& schedule,
                        TimePoint due, bool once) {
  store::NewJob job;
  job.kind = kNudgeJob;
  job.due = due;
  job.grace = services.nudge_settings.grace;
  job.delivery = store::JobDelivery::kAtMostOnce;
  job.payload = {{"k", schedule.subject_kind},
                 {"s", schedule.subject_id},
                 {"v", store::to_millis(schedule.updated_at)},
                 {"once", once}};
  // One key per subject and slot: two instances scheduling the same next
  // nudge schedule it once.
  job.unique_key =
      key_prefix(schedule) + (once ? "now:" : "") + std::to_string(store::to_millis(due));
  if (schedule.subject_kind == kPerson) job.subject_user = schedule.subject_id;
  // A schedule's slot is bulk work (a whole office may share it); the one
  // asked for with /nudges now is someone waiting.
  job.lane = once ? store::JobLane::kPeople : store::JobLane::kBulk;
  return job;
}

std::optional<TimePoint> schedule_next(const NudgeServices& services,
                                       const store::NudgeSchedule& schedule, TimePoint after) {
  services.jobs.cancel_keys_starting(key_prefix(schedule));
  const auto next = next_occurrence(rule_of(schedule), after, schedule.time_zone,
                                    services.nudge_settings.calendar, schedule.paused_until);
  if (next) services.jobs.schedule(nudge_job(services, schedule, *next, false));
  return next;
}

void schedule_now(const NudgeServices& services, const store::NudgeSchedule& schedule) {
  services.jobs.schedule(nudge_job(services, schedule, services.clock.now(), true));
}

std::string next_in_words(const store::NudgeSchedule& schedule, std::optional<TimePoint> next) {
  if (!next) return "No date fits that schedule, so none is planned.";
  return "Next: " + moment_in_words(*next, schedule.time_zone) +
         (schedule.subject_kind == kPerson ? " your time" : " in this channel's time") + " (" +
         mrkdwn::escape(schedule.time_zone) + ").";
}

std::string pause(const NudgeServices& services, store::NudgeSchedule schedule, TimePoint until) {
  schedule.paused_until = until;
  schedule.updated_at = services.clock.now();
  services.schedules.put_schedule(schedule);
  const auto next = schedule_next(services, schedule, services.clock.now());
  return ":double_vertical_bar: Paused until " + moment_in_words(until, schedule.time_zone) +
         ". `/nudges resume` starts them again sooner. " + next_in_words(schedule, next);
}

namespace {

int working_days_mask(const NudgeServices& services) {
  int mask = 0;
  for (const int day : services.initiative_settings.working_hours.days) mask |= 1 << (day - 1);
  return mask == 0 ? kMondayToFriday : mask;
}

std::string rule_in_words(const NudgeServices& services, const store::NudgeSchedule& schedule) {
  return describe(rule_of(schedule), working_days_mask(services));
}

std::string topics_in_words(const std::string& topics) {
  return topics.empty() ? std::string("questions from every category")
                        : "questions about `" + mrkdwn::escape(topics) + "`";
}

// "2w", "3d", "10d", "1w": how long a pause lasts; nullopt for anything else.
std::optional<std::chrono::hours> pause_length(const std::string& word) {
  if (word.size() < 2 || word.size() > 4) return std::nullopt;
  const std::string digits = word.substr(0, word.size() - 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const int n = std::stoi(digits);
  if (word.back() == 'd') return std::chrono::hours{24 * n};
  if (word.back() == 'w') return std::chrono::hours{24 * 7 * n};
  return std::nullopt;
}

constexpr auto kLongestPause = std::chrono::hours{24 * 366};

// `/nudges pause [2w | 3d | until 2027-01-04]`.
std::string pause_words(const NudgeServices& services, const store::NudgeSchedule& schedule,
                        const std::vector<std::string>& words) {
  const auto now = services.clock.now();
  const std::string usage =
      " Try `/nudges pause 2w`, `/nudges pause 3d` or `/nudges pause until 2027-01-04`; "
      "`/nudges off` stops them for good.";
  if (words.size() == 1) return pause(services, schedule, now + std::chrono::hours{24 * 7});
  if (words.size() == 3 && words[1] == "until") {
    const auto until = start_of_date(words[2], schedule.time_zone);
    if (!until) return "`" + mrkdwn::escape(words[2]) + "` is not a date." + usage;
    if (*until <= now) return "That date has passed." + usage;
    if (*until - now > kLongestPause) return "That is more than a year away." + usage;
    return pause(services, schedule, *until);
  }
  if (words.size() == 2) {
    const auto length = pause_length(words[1]);
    if (!length) return "I can't pause for `" + mrkdwn::escape(words[1]) + "`." + usage;
    if (*length <= std::chrono::hours{0}) return "A pause needs at least a day." + usage;
    if (*length > kLongestPause) return "That is more than a year." + usage;
    return pause(services, schedule, now + *length);
  }
  return "I didn't understand that pause." + usage;
}

std::string skip_next(const NudgeServices& services, store::NudgeSchedule schedule) {
  const auto now = services.clock.now();
  const auto next = next_occurrence(rule_of(schedule), now, schedule.time_zone,
                                    services.nudge_settings.calendar, schedule.paused_until);
  if (!next) return "There is no next nudge to skip.";
  schedule.updated_at = now;
  services.schedules.put_schedule(schedule);
  const auto after = schedule_next(services, schedule, *next);
  return ":fast_forward: The one on " + moment_in_words(*next, schedule.time_zone) +
         " is skipped. " + next_in_words(schedule, after);
}

std::string resume(const NudgeServices& services, store::NudgeSchedule schedule) {
  if (!schedule.paused_until || *schedule.paused_until <= services.clock.now()) {
    return "Your nudges are not paused. " +
           next_in_words(schedule, schedule_next(services, schedule, services.clock.now()));
  }
  schedule.paused_until.reset();
  schedule.updated_at = services.clock.now();
  services.schedules.put_schedule(schedule);
  return ":arrow_forward: Resumed. " +
         next_in_words(schedule, schedule_next(services, schedule, services.clock.now()));
}

std::string turn_off(const NudgeServices& services, const store::NudgeSchedule& schedule) {
  services.jobs.cancel_keys_starting(key_prefix(schedule));
  services.schedules.remove_schedule(schedule.subject_kind, schedule.subject_id);
  return schedule.subject_kind == kPerson
             ? "Your nudges are off. `/nudges weekdays 17:00` (or any time) starts them again."
             : "This channel's nudges are off.";
}

std::string topics(const NudgeServices& services, store::NudgeSchedule schedule,
                   const std::vector<std::string>& words) {
  std::string chosen;
  if (!(words.size() == 2 && words[1] == "all")) {
    for (std::size_t i = 1; i < words.size(); ++i) {
      if (services.prompts.category(words[i]) == nullptr) {
        std::string known;
        for (const auto& c : services.prompts.categories()) known += " `" + c.name + "`";
        return "I have no questions about `" + mrkdwn::escape(words[i]) +
               "`. The categories:" + known + ", or `all`.";
      }
      if (chosen.find(words[i]) == std::string::npos)
        chosen += (chosen.empty() ? "" : " ") + words[i];
    }
    if (chosen.empty()) return "Name the categories: `/nudges topics gap follow feedback`.";
  }
  schedule.topics = chosen;
  schedule.updated_at = services.clock.now();
  services.schedules.put_schedule(schedule);
  return "From now on, " + topics_in_words(chosen) + ". " +
         next_in_words(schedule, schedule_next(services, schedule, services.clock.now()));
}

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    words.push_back(word);
  }
  return words;
}

// The controls under `/nudges`: the same words as typed.
Message with_controls(const std::string& text, const store::NudgeSchedule& schedule,
                      TimePoint now) {
  Message m;
  m.text = "Your nudges";
  m.add(blocks::section(text));
  const bool paused = schedule.paused_until && *schedule.paused_until > now;
  m.add(blocks::actions(
      "nudges_controls",
      {blocks::button("Send one now", std::string(kControlAction) + "_now", "now"),
       blocks::button("Skip the next", std::string(kControlAction) + "_skip", "skip"),
       paused ? blocks::button("Resume", std::string(kControlAction) + "_resume", "resume")
              : blocks::button("Pause for a week", std::string(kControlAction) + "_pause", "pause"),
       blocks::button("Turn off", std::string(kControlAction) + "_off", "off",
                      blocks::ButtonStyle::kDanger)}));
  return m;
}

std::string status(const NudgeServices& services, const store::NudgeSchedule& schedule) {
  const auto now = services.clock.now();
  const auto next = next_occurrence(rule_of(schedule), now, schedule.time_zone,
                                    services.nudge_settings.calendar, schedule.paused_until);
  std::string text =
      "*" +
      std::string(schedule.subject_kind == kPerson ? "Your nudges" : "This channel's nudges") +
      "*: " + rule_in_words(services, schedule) + ", " + topics_in_words(schedule.topics) + ".";
  if (schedule.paused_until && *schedule.paused_until > now) {
    text += "\nPaused until " + moment_in_words(*schedule.paused_until, schedule.time_zone) + ".";
  }
  return text + "\n" + next_in_words(schedule, next) + "\nNever in quiet hours (" +
         clock_text(services.nudge_settings.calendar.quiet_from) + "–" +
         clock_text(services.nudge_settings.calendar.quiet_until) + ") or on a holiday.";
}

Reply stats(const NudgeServices& services, const std::string& user) {
  const auto now = services.clock.now();
  const auto month = now - std::chrono::hours{24 * 30};
  std::string text =
      "*Your nudges*\n• Last 30 days: " +
      nudge_figures_in_words(services.log.nudge_figures(user, month)) +
      "\n• Since you started: " + nudge_figures_in_words(services.log.nudge_figures(user, {}));
  if (services.is_admin(user)) {
    text += "\n*The team's response rate, by week*";
    store::NudgeFigures later{};
    for (int week = 1; week <= 4; ++week) {
      const auto since = services.log.nudge_figures({}, now - std::chrono::hours{24 * 7 * week});
      const std::int64_t sent = since.sent - later.sent;
      const std::int64_t answered = since.answered - later.answered;
      text +=
          "\n• " + std::string(week == 1 ? "This week" : counted(week - 1, "week") + " before") +
          ": " +
          (sent == 0 ? std::string("none sent")
                     : counted(sent, "nudge") + " sent, " + percent(answered, sent) + " answered");
      later = since;
    }
  }
  Message m = Message::plain(text);
  m.add(
      blocks::context({"Only you see this. What you wrote in answer stays yours: nobody else "
                       "sees it, admins included."}));
  return Reply::with(std::move(m));
}

// A new schedule from words, keeping what the old one had besides its times.
std::string set_schedule(const NudgeServices& services, const std::string& kind,
                         const std::string& subject, const std::string& set_by,
                         const std::string& words, const std::string& topic_words) {
  const auto parsed = parse_recurrence(words, working_days_mask(services));
  // The words it could not read are quoted back: escaped, as all user text.
  if (const auto* why = std::get_if<std::string>(&parsed)) return mrkdwn::escape(*why);
  const auto& rule = std::get<Recurrence>(parsed);
  const auto& calendar = services.nudge_settings.calendar;
  if (calendar.is_quiet(rule.at)) {
    return clock_text(rule.at) + " is in quiet hours (" + clock_text(calendar.quiet_from) + "–" +
           clock_text(calendar.quiet_until) + "), when I send nothing. Pick a time between " +
           clock_text(calendar.quiet_until) + " and " + clock_text(calendar.quiet_from) + ".";
  }
  const auto now = services.clock.now();
  const auto zone =
      time_zone_of(services, services.profiles, set_by, services.nudge_settings.default_time_zone);
  store::NudgeSchedule schedule;
  if (const auto existing = services.schedules.schedule(kind, subject)) schedule = *existing;
  schedule.subject_kind = kind;
  schedule.subject_id = subject;
  schedule.created_by = set_by;
  schedule.local_minutes = static_cast<int>(rule.at.count());
  schedule.weekdays = rule.weekdays;
  schedule.every_weeks = rule.every_weeks;
  schedule.anchor_monday = monday_of_week(now, zone.zone);
  schedule.time_zone = zone.zone;
  if (!topic_words.empty() || kind == kChannel) schedule.topics = topic_words;
  schedule.updated_at = now;
  services.schedules.put_schedule(schedule);
  const auto next = schedule_next(services, schedule, now);
  if (kind == kPerson) services.home.changed(subject);
  std::string text =
      ":alarm_clock: " + std::string(kind == kPerson ? "Your nudges" : "This channel's nudges") +
      ": " + rule_in_words(services, schedule) + ", " + topics_in_words(schedule.topics) + ". " +
      next_in_words(schedule, next);
  if (!zone.from_slack) {
    text += "\nSlack has no time zone for " +
            std::string(kind == kPerson ? "you" : "the person who set them") +
            ", so I use the workspace's (" + mrkdwn::escape(zone.zone) + ").";
  } else if (kind == kChannel) {
    text += "\nIn the time zone of " + mrkdwn::mention(set_by) + ", who set them.";
  }
  if (schedule.paused_until && *schedule.paused_until > now) {
    text += "\nThey are paused until " + moment_in_words(*schedule.paused_until, zone.zone) +
            " (`/nudges resume`).";
  }
  return text;
}

std::optional<std::string> apply_control(const NudgeServices& services,
                                         const store::NudgeSchedule& schedule,
                                         const std::vector<std::string>& words) {
  const std::string& verb = words.front();
  if (verb == "off" || verb == "stop") return turn_off(services, schedule);
  if (verb == "pause") return pause_words(services, schedule, words);
  if (verb == "resume") return resume(services, schedule);
  if (verb == "skip") return skip_next(services, schedule);
  if (verb == "topics" || verb == "topic") return topics(services, schedule, words);
  if (verb == "now") {
    schedule_now(services, schedule);
    return std::string(":incoming_envelope: One is on its way. Your schedule stays as it was.");
  }
  return std::nullopt;
}

// The words after /nudges that act on an existing schedule.
std::optional<std::string> control(const NudgeServices& services,
                                   const store::NudgeSchedule& schedule,
                                   const std::vector<std::string>& words) {
  auto said = apply_control(services, schedule, words);
  // Their App Home shows the schedule, as it is now.
  if (said && schedule.subject_kind == kPerson) services.home.changed(schedule.subject_id);
  return said;
}

const std::set<std::string>& control_words() {
  static const std::set<std::string> all = {"off",  "stop",   "pause", "resume",
                                            "skip", "topics", "topic", "now"};
  return all;
}

bool may_set_channel(const NudgeServices& services, const std::string& channel,
                     const std::string& user) {
  if (services.is_admin(user)) return true;
  const auto& configured = services.initiative_settings.channel_leads;
  if (const auto it = configured.find(channel);
      it != configured.end() &&
      std::find(it->second.begin(), it->second.end(), user) != it->second.end()) {
    return true;
  }
  const auto leads = services.initiatives.channel_leads(channel);
  return std::find(leads.begin(), leads.end(), user) != leads.end();
}

// `/nudges channel …`: a recurring question for the channel to discuss.
Reply channel_command(const NudgeServices& services, const SlashCommand& command,
                      std::vector<std::string> words) {
  words.erase(words.begin());
  const auto existing = services.schedules.schedule(kChannel, command.channel_id);
  if (words.empty()) {
    if (!existing) {
      return say(
          "This channel has no nudges. Admins and the channel's leads can start them: "
          "`/nudges channel weekly thu 10:00`, with categories after it if you like.");
    }
    return say(status(services, *existing));
  }
  if (!may_set_channel(services, command.channel_id, command.user_id)) {
    return say("Only admins and this channel's leads can change its nudges.");
  }
  if (existing && control_words().count(words.front()) > 0) {
    if (const auto said = control(services, *existing, words)) return say(*said);
  }
  if (words.front() == "off") return say("This channel has no nudges to turn off.");
  std::string rule, topic_words;
  for (const auto& word : words) {
    std::string& into = services.prompts.category(word) != nullptr ? topic_words : rule;
    into += (into.empty() ? "" : " ") + word;
  }
  return say(
      set_schedule(services, kChannel, command.channel_id, command.user_id, rule, topic_words));
}

Reply command(const NudgeServices& services, const SlashCommand& command) {
  const auto words = words_of(command.text);
  if (!words.empty() && words.front() == "help") return Reply::with(nudges_help());
  if (!words.empty() && words.front() == "channel")
    return channel_command(services, command, words);
  if (!words.empty() && words.front() == "stats") return stats(services, command.user_id);
  if (words.empty()) return Reply::with(your_nudges(services, command.user_id));
  const auto existing = services.schedules.schedule(kPerson, command.user_id);
  if (control_words().count(words.front()) > 0) {
    if (!existing) {
      return say("You have no nudges yet, so there is nothing to " + words.front() +
                 ". Start them with `/nudges weekdays 17:00`.");
    }
    return say(*control(services, *existing, words));
  }
  return say(set_schedule(services, kPerson, command.user_id, command.user_id, command.text, {}));
}

}  // namespace

void register_schedule_routes(EnvelopeRouter::Routes& routes, const NudgeServices& services) {
  routes.command("/nudges", [services](const SlashCommand& c) {
    try {
      return command(services, c);
    } catch (const store::StoreError& error) {
      spdlog::warn("/nudges: {}", error.what());
      return say(
          "I can't reach my database right now, so nothing changed. Please try again in a minute.");
    }
  });
  routes.action(std::string(kControlAction) + "_*", [services](const BlockAction& action) {
    const auto schedule = services.schedules.schedule(kPerson, action.user_id);
    Reply reply = say(schedule ? control(services, *schedule, {action.value})
                                     .value_or("That button looks altered, so I ignored it.")
                               : std::string("You have no nudges now. `/nudges weekdays 17:00` "
                                             "starts them."));
    reply.message->replace_original = true;
    return reply;
  });
}

}  // namespace ff::commands::nudges

namespace ff::commands {

Message your_nudges(const NudgeServices& services, const std::string& user_id) {
  using namespace nudges;
  const auto existing = services.schedules.schedule(kPerson, user_id);
  if (!existing) {
    return Message::plain(
        "You have no nudges yet. A short reflection question by DM, at a time that suits you, "
        "in your own time zone: try `/nudges weekdays 17:00` or `/nudges weekly fri 16:00`. "
        "`/nudges help` shows the rest.");
  }
  return with_controls(status(services, *existing), *existing, services.clock.now());
}

std::string nudge_figures_in_words(const store::NudgeFigures& f) {
  if (f.sent == 0) return "none sent";
  return counted(f.sent, "nudge") + " sent, " + std::to_string(f.answered) + " answered (" +
         percent(f.answered, f.sent) + "), " + std::to_string(f.snoozed) + " snoozed, " +
         std::to_string(f.skipped) + " skipped, " + std::to_string(f.paused) + " paused";
}

}  // namespace ff::commands
