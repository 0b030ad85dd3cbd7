// Sending reflection nudges: the durable jobs, the nudge a person gets and
// its buttons, and the reflection written in answer.
#include <algorithm>
#include <functional>
#include <sstream>
#include <variant>

#include <spdlog/spdlog.h>

#include "bot/slack/mrkdwn.hpp"
#include "commands/coach.hpp"
#include "commands/nudges/parts.hpp"
#include "commands/people.hpp"

namespace ff::commands::nudges {
namespace {

constexpr std::size_t kReflectionLimit = 3000;
constexpr auto kSnoozeFor = std::chrono::hours{1};

// The prompt for a subject's next nudge: from its topics (every category
// when none), never one of its latest nudges while others are left; spread
// by the moment so two subjects due together get different questions.
const Prompt* choose_prompt(const NudgeServices& services, const store::NudgeSchedule& schedule,
                            TimePoint due) {
  std::vector<const Prompt*> candidates;
  std::istringstream topics(schedule.topics);
  std::vector<std::string> wanted;
  for (std::string topic; topics >> topic;) wanted.push_back(topic);
  for (const auto& prompt : services.prompts.all()) {
    if (wanted.empty() ||
        std::find(wanted.begin(), wanted.end(), prompt.category) != wanted.end()) {
      candidates.push_back(&prompt);
    }
  }
  if (candidates.empty()) {
    for (const auto& prompt : services.prompts.all()) candidates.push_back(&prompt);
  }
  if (candidates.empty()) return nullptr;
  const auto recent = services.log.recent_nudge_prompts(schedule.subject_kind, schedule.subject_id,
                                                        kRecentNotRepeated);
  std::vector<const Prompt*> fresh;
  for (const auto* p : candidates) {
    if (std::find(recent.begin(), recent.end(), p->id) == recent.end()) fresh.push_back(p);
  }
  if (fresh.empty()) {
    // All were asked lately: the one asked longest ago.
    return *std::max_element(candidates.begin(), candidates.end(), [&](auto* a, auto* b) {
      return std::find(recent.begin(), recent.end(), a->id) <
             std::find(recent.begin(), recent.end(), b->id);
    });
  }
  const auto spread =
      std::hash<std::string>{}(schedule.subject_id + std::to_string(store::to_millis(due)));
  return fresh[spread % fresh.size()];
}

// The nudge a person gets by DM.
Message personal_nudge(const Prompt& prompt, const PromptLibrary& library,
                       const std::string& rule_words) {
  Message m;
  m.text = "A question to reflect on: " + mrkdwn::escape(prompt.text);
  m.add(blocks::section(":thought_balloon: *" + mrkdwn::escape(prompt.text) + "*"));
  const auto* category = library.category(prompt.category);
  m.add(blocks::context(
      {"_" + mrkdwn::escape(prompt.category) + "_" +
           (category ? " · " + mrkdwn::escape(category->description) : std::string()),
       "Reply in this thread or press *Reflect now*: only you see what you write."}));
  m.add(blocks::actions(
      "nudge_actions",
      {blocks::button("Reflect now", kReflectAction, prompt.id, blocks::ButtonStyle::kPrimary),
       blocks::button("Snooze 1 h", kSnoozeAction, prompt.id),
       blocks::button("Skip this one", kSkipAction, prompt.id),
       blocks::button("Pause for a week", kPauseAction, prompt.id)}));
  m.add(blocks::context({"Your nudges: " + rule_words + ". `/nudges` changes them."}));
  return m;
}

// Slack's answers that mean the person can no longer get DMs from the bot:
// their schedule is stopped rather than retried.
bool cannot_reach(const std::string& error) {
  return error == "cannot_dm_bot" || error == "user_not_found" || error == "account_inactive" ||
         error == "user_disabled" || error == "channel_not_found" || error == "is_archived" ||
         error == "not_in_channel";
}

void stop_schedule(const NudgeServices& services, const store::NudgeSchedule& schedule,
                   const std::string& why) {
  spdlog::info("nudges for {} {} stopped: Slack says {}", schedule.subject_kind,
               schedule.subject_id, why);
  services.jobs.cancel_keys_starting(key_prefix(schedule));
  services.schedules.remove_schedule(schedule.subject_kind, schedule.subject_id);
}

// Posts the nudge and records it; the job's outcome.
JobOutcome post_nudge(const NudgeServices& services, const store::NudgeSchedule& schedule,
                      const Prompt& prompt, const store::Job& job) {
  const bool person = schedule.subject_kind == kPerson;
  Message message;
  if (person) {
    message = personal_nudge(prompt, services.prompts, describe(rule_of(schedule)));
  } else {
    message = question_card(prompt, services.prompts, CardKind::kChannel);
    message.blocks.insert(message.blocks.begin(),
                          blocks::context({":alarm_clock: This channel's question"}));
  }
  const ApiResult posted = services.slack.post_message(schedule.subject_id, message);
  if (!posted.ok) {
    if (cannot_reach(posted.error)) {
      stop_schedule(services, schedule, posted.error);
      return JobOutcome::failed("cannot reach " + schedule.subject_id + ": " + posted.error);
    }
    return outcome_of_post(posted, job);
  }
  store::SentNudge sent;
  sent.subject_kind = schedule.subject_kind;
  sent.subject_id = schedule.subject_id;
  sent.channel_id = posted.body.value("channel", schedule.subject_id);
  sent.message_ts = posted.body.value("ts", "");
  sent.prompt_id = prompt.id;
  sent.sent_at = services.clock.now();
  try {
    services.log.record_sent_nudge(sent);
  } catch (const store::StoreError& error) {
    // Sent all the same: only its buttons will not find it.
    spdlog::warn("nudge to {} sent but not recorded: {}", schedule.subject_id, error.what());
  }
  return JobOutcome::done();
}

// The job of one slot of a schedule (or of `/nudges now`).
JobOutcome send_scheduled(const NudgeServices& services, const store::Job& job,
                          JobControl& control) {
  const std::string kind = job.payload.value("k", "");
  const std::string subject = job.payload.value("s", "");
  const bool once = job.payload.value("once", false);
  auto schedule = services.schedules.schedule(kind, subject);
  // A schedule changed or turned off since this job was made: its job is
  // stale, and the one made with the change (if any) stands instead.
  if (!schedule ||
      store::to_millis(schedule->updated_at) != job.payload.value("v", std::int64_t{0})) {
    return JobOutcome::done();
  }
  if (kind == kPerson && !once) {
    // A person who moved (a new zone in Slack) gets the same local time there.
    const auto zone = time_zone_of(services, services.profiles, subject,
                                   services.nudge_settings.default_time_zone);
    if (zone.from_slack && zone.zone != schedule->time_zone) {
      spdlog::info("nudges for {}: time zone {} is now {}", subject, schedule->time_zone,
                   zone.zone);
      schedule->time_zone = zone.zone;
      schedule->updated_at = services.clock.now();
      services.schedules.put_schedule(*schedule);
      schedule_next(services, *schedule, services.clock.now() - std::chrono::minutes{1});
      return JobOutcome::done();
    }
  }
  if (kind == kPerson && !once && services.nudge_settings.respect_do_not_disturb) {
    // Slack's Do Not Disturb: the nudge waits until it ends, within its
    // grace window; later than that, the scheduler skips it and the next
    // one is scheduled.
    if (const auto until = services.slack.do_not_disturb_until(subject, services.clock.now())) {
      return JobOutcome::retry(
          "Do Not Disturb",
          std::chrono::duration_cast<std::chrono::milliseconds>(*until - services.clock.now()) +
              std::chrono::seconds{1});
    }
  }
  const Prompt* prompt = choose_prompt(services, *schedule, job.due);
  if (prompt == nullptr) return JobOutcome::failed("the prompt library is empty");
  std::optional<TimePoint> next;
  if (!once) {
    next = next_occurrence(rule_of(*schedule), job.due, schedule->time_zone,
                           services.nudge_settings.calendar, schedule->paused_until);
  }
  // The next slot is scheduled in the same transaction that marks this one
  // as sending: a crash after it never sends this one twice, and never ends
  // the series.
  const bool began =
      next ? control.begin_effect_and_schedule(nudge_job(services, *schedule, *next, false))
           : control.begin_effect();
  if (!began) return JobOutcome::done();
  return post_nudge(services, *schedule, *prompt, job);
}

// A snoozed nudge, asked again.
JobOutcome send_snoozed(const NudgeServices& services, const store::Job& job, JobControl& control) {
  const auto sent = services.log.sent_nudge(job.payload.value("n", std::int64_t{0}));
  if (!sent) return JobOutcome::done();
  const auto schedule = services.schedules.schedule(sent->subject_kind, sent->subject_id);
  const Prompt* prompt = services.prompts.by_id(sent->prompt_id);
  if (!schedule || prompt == nullptr) return JobOutcome::done();  // turned off since
  if (!control.begin_effect()) return JobOutcome::done();
  return post_nudge(services, *schedule, *prompt, job);
}

// The nudge a button was pressed on, when it is the presser's own.
std::variant<store::SentNudge, std::string> own_nudge(const NudgeServices& services,
                                                      const std::string& channel,
                                                      const std::string& ts,
                                                      const std::string& user) {
  const auto sent = services.log.sent_nudge_at(channel, ts);
  if (!sent) return std::string("I can't find that nudge any more.");
  if (sent->subject_kind != kPerson || sent->subject_id != user) {
    return std::string("That nudge is someone else's.");
  }
  return *sent;
}

Reply replace_with(const std::string& text) {
  Reply reply = say(text);
  reply.message->replace_original = true;
  return reply;
}

Reply snooze(const NudgeServices& services, const BlockAction& action) {
  const auto found = own_nudge(services, action.channel_id, action.message_ts, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& sent = std::get<store::SentNudge>(found);
  const auto schedule = services.schedules.schedule(kPerson, action.user_id);
  const std::string zone =
      schedule ? schedule->time_zone : services.nudge_settings.default_time_zone;
  const auto due = next_allowed_moment(services.clock.now() + kSnoozeFor, zone,
                                       services.nudge_settings.calendar);
  store::NewJob job;
  job.kind = kSnoozedNudgeJob;
  job.lane = store::JobLane::kBulk;
  job.due = due;
  job.grace = services.nudge_settings.grace;
  job.payload = {{"n", sent.id}};
  job.unique_key = "nudge-snooze:" + std::to_string(sent.id);
  job.subject_user = action.user_id;
  services.jobs.schedule(job);
  services.log.set_nudge_outcome(sent.id, "snoozed", services.clock.now());
  const Prompt* prompt = services.prompts.by_id(sent.prompt_id);
  return replace_with(":zzz: Snoozed" +
                      (prompt ? ": _" + mrkdwn::escape(prompt->text) + "_" : std::string()) +
                      "\nI'll ask again on " + moment_in_words(due, zone) + " your time.");
}

Reply skip(const NudgeServices& services, const BlockAction& action) {
  const auto found = own_nudge(services, action.channel_id, action.message_ts, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  services.log.set_nudge_outcome(std::get<store::SentNudge>(found).id, "skipped",
                                 services.clock.now());
  const auto schedule = services.schedules.schedule(kPerson, action.user_id);
  std::string text = ":fast_forward: Skipped.";
  if (schedule) {
    text += " " + next_in_words(
                      *schedule,
                      next_occurrence(rule_of(*schedule), services.clock.now(), schedule->time_zone,
                                      services.nudge_settings.calendar, schedule->paused_until));
  }
  return replace_with(text);
}

Reply pause_week(const NudgeServices& services, const BlockAction& action) {
  const auto found = own_nudge(services, action.channel_id, action.message_ts, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto schedule = services.schedules.schedule(kPerson, action.user_id);
  if (!schedule) return replace_with("Your nudges are off already.");
  services.log.set_nudge_outcome(std::get<store::SentNudge>(found).id, "paused",
                                 services.clock.now());
  return replace_with(
      pause(services, *schedule, services.clock.now() + std::chrono::hours{24 * 7}));
}

Reply open_reflection(const NudgeServices& services, const BlockAction& action) {
  const auto found = own_nudge(services, action.channel_id, action.message_ts, action.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return say(*why);
  const auto& sent = std::get<store::SentNudge>(found);
  const Prompt* prompt = services.prompts.by_id(sent.prompt_id);
  // The coaching dialog on this question, in the DM; a short form where no
  // such dialog flow is installed.
  if (prompt) {
    if (auto started =
            reflect_on_question(services.reflect, action.user_id, prompt->text, sent.id)) {
      return std::move(*started);
    }
  }
  std::vector<nlohmann::json> parts;
  if (prompt) parts.push_back(blocks::section("*" + mrkdwn::escape(prompt->text) + "*"));
  parts.push_back(blocks::text_input("reflection", "text", "Your reflection",
                                     "A few honest lines. Only you will see them.",
                                     kReflectionLimit));
  const nlohmann::json metadata = {{"c", sent.channel_id}, {"t", sent.message_ts}};
  const ApiResult opened = services.slack.open_view(
      action.trigger_id,
      blocks::modal(kReflectionModal, "Reflect", "Keep it", std::move(parts), metadata.dump()));
  if (!opened.ok) {
    return say("I couldn't open the form. " + why_slack_failed(opened) +
               " A reply in the nudge's thread works too.");
  }
  return Reply::none();
}

// Keeps a reflection, privately, and says so on the nudge itself.
void keep_reflection(const NudgeServices& services, const store::SentNudge& sent,
                     const std::string& text) {
  services.log.record_reflection(sent.id, mrkdwn::truncate(text, kReflectionLimit),
                                 services.clock.now());
  const Prompt* prompt = services.prompts.by_id(sent.prompt_id);
  Message done;
  done.text = "You reflected on this one";
  done.add(blocks::section(":white_check_mark: *" +
                           (prompt ? mrkdwn::escape(prompt->text) : std::string("Reflected")) +
                           "*\nYou reflected on this one. It stays yours: nobody else sees it, "
                           "admins included."));
  services.slack.update_message(sent.channel_id, sent.message_ts, done);
}

Reply submit_reflection(const NudgeServices& services, const ViewSubmission& view) {
  if (view.closed) return Reply::none();
  const auto metadata = nlohmann::json::parse(view.private_metadata, nullptr, false);
  const auto field_error = [](const std::string& message) {
    Reply reply;
    reply.view_response =
        nlohmann::json{{"response_action", "errors"}, {"errors", {{"reflection", message}}}};
    return reply;
  };
  if (!metadata.is_object() || !metadata["c"].is_string() || !metadata["t"].is_string()) {
    return field_error("This form looks altered. Close it and start again.");
  }
  const auto found = own_nudge(services, metadata["c"], metadata["t"], view.user_id);
  if (const auto* why = std::get_if<std::string>(&found)) return field_error(*why);
  const std::string text = trimmed(view.form.text("reflection", "text"));
  if (text.empty()) return field_error("Write a line or two, or close the form.");
  keep_reflection(services, std::get<store::SentNudge>(found), text);
  return Reply::none();
}

// A reply in a nudge's thread, in the person's DM with the bot.
std::optional<store::SentNudge> nudge_replied_to(const NudgeServices& services,
                                                 const Event& event) {
  if (event.thread_ts.empty() || event.thread_ts == event.ts) return std::nullopt;
  if (trimmed(event.text).empty()) return std::nullopt;  // a file alone holds no reflection
  const auto found = own_nudge(services, event.channel, event.thread_ts, event.user);
  if (const auto* sent = std::get_if<store::SentNudge>(&found)) return *sent;
  return std::nullopt;
}

}  // namespace

}  // namespace ff::commands::nudges

namespace ff::commands {

void register_nudges(EnvelopeRouter::Routes routes, const NudgeServices& services) {
  using namespace nudges;
  register_schedule_routes(routes, services);
  routes.action(kReflectAction,
                [services](const BlockAction& a) { return open_reflection(services, a); });
  routes.action(kSnoozeAction, [services](const BlockAction& a) { return snooze(services, a); });
  routes.action(kSkipAction, [services](const BlockAction& a) { return skip(services, a); });
  routes.action(kPauseAction, [services](const BlockAction& a) { return pause_week(services, a); });
  routes.view(kReflectionModal,
              [services](const ViewSubmission& v) { return submit_reflection(services, v); });
  routes.conversation(
      [services](const Event& event) { return nudge_replied_to(services, event).has_value(); },
      [services](const Event& event) {
        const auto sent = nudge_replied_to(services, event);
        if (!sent) return;
        keep_reflection(services, *sent, event.text);
        Message noted = Message::plain(
            ":white_check_mark: Noted, privately: nobody else sees your reflections.");
        noted.thread_ts = event.thread_ts;
        services.slack.post_message(event.channel, noted);
      });
}

void register_nudge_jobs(JobScheduler& scheduler, const NudgeServices& services) {
  using namespace nudges;
  scheduler.handle(kNudgeJob, [services](const store::Job& job, JobControl& control) {
    return send_scheduled(services, job, control);
  });
  scheduler.handle(kSnoozedNudgeJob, [services](const store::Job& job, JobControl& control) {
    return send_snoozed(services, job, control);
  });
  // Missed while the bot was down, past the grace window: skipped, and the
  // series goes on from now.
  scheduler.on_missed(kNudgeJob, [services](const store::Job& job) {
    if (job.payload.value("once", false)) return;
    const auto schedule =
        services.schedules.schedule(job.payload.value("k", ""), job.payload.value("s", ""));
    if (!schedule ||
        store::to_millis(schedule->updated_at) != job.payload.value("v", std::int64_t{0})) {
      return;
    }
    schedule_next(services, *schedule, services.clock.now());
  });
}

}  // namespace ff::commands
