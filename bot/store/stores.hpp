#pragma once

// What features keep, as narrow interfaces shaped by the features that use
// them. One SQL implementation serves SQLite and PostgreSQL alike
// (sql_stores.cpp, job_store.cpp); handlers see only these interfaces.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/clock.hpp"
#include "bot/inbox.hpp"
#include "bot/store/database.hpp"

namespace ff::store {

using TimePoint = std::chrono::system_clock::time_point;

// ---- jobs -----------------------------------------------------------------

// What happens to a job whose instance died while running it. A job that
// sends a visible message is kAtMostOnce: a duplicate nudge annoys people
// more than a missed one, so once it has *started* sending it is never run
// again (it is marked abandoned and logged). A job that died after being
// claimed but before starting is always run again, whatever its delivery.
enum class JobDelivery { kAtMostOnce, kAtLeastOnce };

// Which work a job is. Bulk jobs (a fan-out of scheduled nudges, thousands
// due in one minute) are claimed apart from the jobs people wait on (an
// initiative's first nudge, a follow-up), in small batches, so the others
// never queue behind a fan-out; their Slack calls go in the bulk lane.
enum class JobLane { kPeople, kBulk };

struct NewJob {
  std::string kind;
  nlohmann::json payload = nlohmann::json::object();
  TimePoint due;
  // A job found due later than due + grace (the bot was down) is skipped
  // and logged rather than run late.
  std::chrono::milliseconds grace{std::chrono::hours{1}};
  JobDelivery delivery = JobDelivery::kAtMostOnce;
  // At most one live (not yet finished) job per non-empty key.
  std::string unique_key;
  // The person the job is about, so export and forget find it.
  std::string subject_user;
  JobLane lane = JobLane::kPeople;
};

struct Job {
  std::int64_t id = 0;
  std::string kind;
  nlohmann::json payload;
  TimePoint due;
  TimePoint grace_until;
  JobDelivery delivery = JobDelivery::kAtMostOnce;
  int attempts = 0;
  std::string subject_user;
  JobLane lane = JobLane::kPeople;
};

struct ClaimedJobs {
  std::vector<Job> due;     // claimed by the caller, to run now
  std::vector<Job> missed;  // found past their grace window, marked skipped
};

// What mark_started_and_schedule did.
struct StartedWithSuccessor {
  bool started = false;  // false: the caller no longer holds the job, and nothing happened
  // The successor's id; nullopt when a live job already holds its unique key
  // (it was scheduled before), which still counts as started.
  std::optional<std::int64_t> successor;
};

struct RecoveredLeases {
  std::int64_t requeued = 0;   // claimed or at-least-once jobs whose owner vanished
  std::int64_t abandoned = 0;  // at-most-once jobs that had started sending
};

class JobStore {
 public:
  virtual ~JobStore() = default;
  // The new job's id; nullopt when a live job already holds unique_key.
  virtual std::optional<std::int64_t> schedule(const NewJob& job) = 0;
  // True when a pending job was cancelled.
  virtual bool cancel(std::int64_t id) = 0;
  virtual bool cancel_key(const std::string& unique_key) = 0;
  // Cancels every pending job whose key starts with `prefix`; how many.
  virtual std::int64_t cancel_keys_starting(const std::string& prefix) = 0;

  // Claims up to `limit` pending jobs due at `now` (of one lane, or of
  // both), oldest first, for `lease`. Each job is claimed by exactly one
  // caller, across instances.
  virtual ClaimedJobs claim_due(TimePoint now, int limit, std::chrono::milliseconds lease,
                                const std::string& owner,
                                std::optional<JobLane> lane = std::nullopt) = 0;
  // Records that the job's visible effect is about to happen. False when
  // the caller no longer holds the job (its lease expired and it moved on):
  // then the caller must not act.
  virtual bool mark_started(std::int64_t id, const std::string& owner) = 0;
  // mark_started and schedule(successor) in one transaction, so a recurring
  // job never sends without its next occurrence, nor schedules one twice.
  // When the successor shares the job's unique key the key passes to it:
  // the started job can no longer be cancelled, the successor can.
  virtual StartedWithSuccessor mark_started_and_schedule(std::int64_t id, const std::string& owner,
                                                         const NewJob& successor) = 0;
  // Extends to `until` the leases of those of `ids` that `owner` still holds
  // (claimed or started) and returns them; the others were taken over or
  // finished, and the caller must not run them.
  virtual std::vector<std::int64_t> renew_leases(const std::vector<std::int64_t>& ids,
                                                 const std::string& owner, TimePoint until) = 0;
  // Gives back those of `ids` that `owner` claimed and has not started:
  // pending again, due at once for any instance. For a stop, so another
  // instance need not wait out the leases. Returns how many.
  virtual std::int64_t release_claims(const std::vector<std::int64_t>& ids,
                                      const std::string& owner) = 0;
  // state: "done", "failed" or "skipped".
  virtual void finish(std::int64_t id, const std::string& owner, const std::string& state,
                      const std::string& error, TimePoint now) = 0;
  // Back to pending, due at `at` (a transient failure before any effect).
  virtual void retry_at(std::int64_t id, const std::string& owner, TimePoint at,
                        const std::string& error) = 0;
  // Handles jobs whose owner's lease ran out (the instance died).
  virtual RecoveredLeases recover_expired_leases(TimePoint now) = 0;

  virtual std::optional<TimePoint> next_due() = 0;
  virtual std::map<std::string, std::int64_t> count_by_state() = 0;
  // Deletes finished jobs older than `before`.
  virtual std::int64_t purge_finished(TimePoint before) = 0;
};

// ---- the inbox ----------------------------------------------------------------

// Every envelope that arrived, recorded before it is acked, and whether it
// was handled; shared by every instance on the database. An unfinished one
// is held by the instance that took it until its lease ends: renewed while
// that instance lives, released when it stops, taken by another (or the
// next start) once it ends. Finished ones are kept for the dedupe window.
class InboxStore {
 public:
  virtual ~InboxStore() = default;
  // In one transaction: records `arrived` for `owner` until `lease_until`,
  // and marks `finished` done. Returns the envelope ids of those that were
  // new; the others (same envelope id or same event id as one in the inbox,
  // or as an earlier one of the same batch) were there already.
  virtual std::vector<std::string> commit_inbox_batch(const std::vector<InboxEntry>& arrived,
                                                      const std::vector<std::string>& finished,
                                                      const std::string& owner, TimePoint now,
                                                      TimePoint lease_until) = 0;
  // Takes, oldest first, up to `limit` unfinished envelopes of other owners
  // whose lease ended (with `any_lease`, whatever their lease: one instance
  // alone on its database, at start), for `owner` until `lease_until`. One taken
  // `max_attempts` times already is given up instead (a frame that kills
  // the process each time must not keep it from starting); returns how
  // many were given up in `abandoned`.
  virtual std::vector<UnfinishedEnvelope> take_unfinished(const std::string& owner, TimePoint now,
                                                          TimePoint lease_until, bool any_lease,
                                                          int limit, int max_attempts,
                                                          std::int64_t& abandoned) = 0;
  // Extends the leases `owner` holds; returns how many.
  virtual std::int64_t renew_inbox_leases(const std::string& owner, TimePoint until) = 0;
  // Ends the leases `owner` holds, so another instance takes them at once.
  virtual std::int64_t release_inbox_leases(const std::string& owner) = 0;
  // Forgets finished envelopes older than `before`; unfinished ones stay.
  virtual std::int64_t forget_finished_before(TimePoint before) = 0;
};

// ---- prompt rotation --------------------------------------------------------

class PromptHistoryStore {
 public:
  virtual ~PromptHistoryStore() = default;
  // `user_id` is who asked for the question (for figures), may be empty.
  virtual void record_draw(const std::string& channel, const std::string& category,
                           const std::string& prompt_id, const std::string& user_id,
                           TimePoint at) = 0;
  // Prompt ids drawn in the channel (and category, when given), newest first.
  virtual std::vector<std::string> recent_draws(const std::string& channel,
                                                const std::string& category, int limit) = 0;
  virtual std::int64_t forget_draws_before(TimePoint before) = 0;
};

// ---- people -----------------------------------------------------------------

struct UserProfile {
  std::string user_id;
  std::string time_zone;  // IANA name from users.info
  int tz_offset_seconds = 0;
  std::string display_name;
  TimePoint fetched_at;
};

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;
  virtual void put_profile(const UserProfile& profile) = 0;
  virtual std::optional<UserProfile> profile(const std::string& user_id) = 0;
};

// ---- initiatives ------------------------------------------------------------

struct Initiative {
  std::int64_t id = 0;
  std::string team_id;
  std::string channel_id;
  std::string owner_id;
  std::string title;
  std::string description;
  // draft (previewed, not posted yet), open, done, dropped
  std::string status = "open";
  std::string message_ts;
  TimePoint created_at;
  std::optional<TimePoint> closed_at;
};

struct Endorsement {
  std::int64_t initiative_id = 0;
  std::string user_id;
  std::string kind;  // endorse, follow
  std::string note;
  TimePoint created_at;
  // The first endorsement, as the store decided when it was recorded; ties
  // in time cannot change who it was.
  bool first_follower = false;
};

// How quickly support came: for each initiative, when it was proposed, when
// the first endorsement came (if it did), and for each nudged person when
// they endorsed (if they did).
struct InitiativeTiming {
  std::int64_t initiative_id = 0;
  std::string owner_id;
  TimePoint created_at;
  std::optional<TimePoint> first_endorsed_at;
  std::vector<std::pair<std::string, std::optional<TimePoint>>> nudged;  // person, endorsed at
};

// The DM that asked a person to back an initiative, so it can be kept true
// (endorsed, closed) after it was sent.
struct NudgeRecord {
  std::string user_id;
  std::string answer;           // '', "endorsed", "not now"
  std::string message_channel;  // empty until the DM was sent
  std::string message_ts;
};

enum class EndorseOutcome { kAdded, kAlreadyThere, kNotOpen, kNotFound };

struct EndorseResult {
  EndorseOutcome outcome = EndorseOutcome::kNotFound;
  bool first = false;  // the first endorsement of the initiative
};

class InitiativeStore {
 public:
  virtual ~InitiativeStore() = default;
  virtual std::int64_t create_initiative(const Initiative& initiative) = 0;
  virtual std::optional<Initiative> initiative(std::int64_t id) = 0;
  virtual std::vector<Initiative> open_initiatives(const std::string& channel_id) = 0;
  // The open initiatives a person was asked to back and has neither endorsed
  // nor said "not now" to, oldest first.
  virtual std::vector<Initiative> awaiting_endorsement(const std::string& user_id) = 0;
  // The open initiatives a person leads, oldest first.
  virtual std::vector<Initiative> led_by(const std::string& user_id) = 0;
  virtual void set_message_ts(std::int64_t id, const std::string& ts) = 0;
  // Moves an initiative from status `from` to `to`; false when it was not in
  // `from` (so of two presses racing, one wins). Becoming open sets
  // created_at to `at`, since time to support counts from the card; done and
  // dropped set closed_at.
  virtual bool move_initiative(std::int64_t id, const std::string& from, const std::string& to,
                               TimePoint at) = 0;
  // A new title and description for a draft or an open initiative; false
  // when it is neither.
  virtual bool edit_initiative(std::int64_t id, const std::string& title,
                               const std::string& description) = 0;
  // Deletes a draft that was never posted; false when it is not a draft.
  virtual bool discard_draft(std::int64_t id) = 0;
  // Deletes the drafts made before `before` and never posted; how many.
  virtual std::int64_t forget_drafts_before(TimePoint before) = 0;
  // Serialized with move_initiative: an endorsement racing a close either
  // lands before it or is refused as kNotOpen.
  virtual EndorseResult endorse(const Endorsement& endorsement) = 0;
  virtual std::vector<Endorsement> endorsements(std::int64_t initiative_id) = 0;
  // Ends a person's follow (not an endorsement); false when they did not follow.
  virtual bool unfollow(std::int64_t initiative_id, const std::string& user_id) = 0;

  // The people nudged about every initiative of a channel (set by an admin).
  virtual void set_channel_leads(const std::string& channel_id,
                                 const std::vector<std::string>& user_ids,
                                 const std::string& set_by, TimePoint at) = 0;
  virtual std::vector<std::string> channel_leads(const std::string& channel_id) = 0;

  // Who was asked to back an initiative; a second nudge of the same person
  // is ignored (false).
  virtual bool record_nudge(std::int64_t initiative_id, const std::string& user_id,
                            TimePoint at) = 0;
  virtual std::vector<NudgeRecord> nudged(std::int64_t initiative_id) = 0;
  // Where the nudge's DM (the latest one, a reminder replacing the first) is.
  virtual void set_nudge_message(std::int64_t initiative_id, const std::string& user_id,
                                 const std::string& channel, const std::string& ts) = 0;
  // Their answer ("endorsed", "not now"), once; false when there was no
  // nudge or it was answered already.
  virtual bool answer_nudge(std::int64_t initiative_id, const std::string& user_id,
                            const std::string& answer, TimePoint at) = 0;
  virtual std::vector<InitiativeTiming> initiative_timings(const std::string& channel_id) = 0;
};

// ---- feedback and six-month decisions ---------------------------------------

struct Feedback {
  std::int64_t id = 0;
  std::string from_user;
  std::string to_user;
  std::string channel_id;
  std::string text;
  bool non_blocking = true;
  std::string status = "sent";  // sent, acknowledged, discuss
  TimePoint created_at;
  std::optional<TimePoint> responded_at;
};

class FeedbackStore {
 public:
  virtual ~FeedbackStore() = default;
  virtual std::int64_t record_feedback(const Feedback& feedback) = 0;
  virtual std::optional<Feedback> feedback(std::int64_t id) = 0;
  // Only the receiver answers, once; false otherwise.
  virtual bool respond_to_feedback(std::int64_t id, const std::string& responder,
                                   const std::string& status, TimePoint at) = 0;
};

struct SixMonthDecision {
  std::int64_t id = 0;
  std::string user_id;
  std::string channel_id;
  std::string decision;
  std::string answer;  // yes, no, unsure
  TimePoint created_at;
  // The one asking this answers (the question's own key): answering it again
  // ("not sure", then "no") changes the answer instead of adding one.
  // Empty: every answer is its own.
  std::string asked_key;
};

class DecisionStore {
 public:
  virtual ~DecisionStore() = default;
  // Inserts the answer, or replaces the answer recorded under the same user
  // and asked_key; returns the decision's id either way.
  virtual std::int64_t record_decision(const SixMonthDecision& decision) = 0;
  virtual std::vector<SixMonthDecision> decisions_of(const std::string& user_id) = 0;
};

// ---- things done once ---------------------------------------------------------

// A key taken by the first who asks, across presses, retries and instances:
// for effects that must happen once, such as opening one discussion thread
// under a card however often its button is pressed.
class ClaimStore {
 public:
  virtual ~ClaimStore() = default;
  // True for the first claim of `key`, false when it was claimed already.
  virtual bool claim(const std::string& key, TimePoint at) = 0;
  // Gives a claim back when what it guarded did not happen after all.
  virtual void release(const std::string& key) = 0;
  virtual std::int64_t forget_claims_before(TimePoint before) = 0;
};

// ---- figures ------------------------------------------------------------------

// What this way of leading is measured by, for one person or everyone.
struct CoachingFigures {
  std::int64_t questions_drawn = 0;
  std::int64_t feedback_given = 0;
  std::int64_t feedback_non_blocking = 0;
  std::int64_t sixmonth_led = 0;       // "yes, it matters to me": lead it
  std::int64_t sixmonth_followed = 0;  // "no": follow whoever leads it
  std::int64_t sixmonth_unsure = 0;
};

class FiguresStore {
 public:
  virtual ~FiguresStore() = default;
  // One person's figures; an empty id gives everyone's.
  virtual CoachingFigures figures(const std::string& user_id) = 0;
  // The people with the most activity, most active first.
  virtual std::vector<std::pair<std::string, CoachingFigures>> figures_by_person(int limit) = 0;
};

// ---- nudges and dialogs -----------------------------------------------------

struct NudgeSchedule {
  std::string subject_kind;  // user, channel
  std::string subject_id;
  std::string created_by;
  int local_minutes = 9 * 60;  // time of day in the subject's time zone
  int weekdays = 0b0011111;    // bit 0 is Monday
  std::string time_zone;
  std::optional<TimePoint> paused_until;
  TimePoint updated_at;  // also the schedule's version: a job made for an older one is stale
  int every_weeks = 1;
  std::int64_t anchor_monday = 0;  // local days since 1970-01-01, for every_weeks > 1
  std::string topics;              // question categories, space-separated; empty for all
};

// A reflection nudge that went out, and what became of it.
struct SentNudge {
  std::int64_t id = 0;
  std::string subject_kind;  // user, channel
  std::string subject_id;
  std::string channel_id;  // where it was posted
  std::string message_ts;
  std::string prompt_id;
  TimePoint sent_at;
  std::string outcome = "sent";  // sent, answered, snoozed, skipped, paused
  std::string reflection;        // what its person wrote; private to them
  std::optional<TimePoint> outcome_at;
};

// Counts of one person's nudges (or everyone's), since a moment.
struct NudgeFigures {
  std::int64_t sent = 0;
  std::int64_t answered = 0;
  std::int64_t snoozed = 0;
  std::int64_t skipped = 0;
  std::int64_t paused = 0;
};

class NudgeLogStore {
 public:
  virtual ~NudgeLogStore() = default;
  virtual std::int64_t record_sent_nudge(const SentNudge& nudge) = 0;
  virtual void set_nudge_message(std::int64_t id, const std::string& channel_id,
                                 const std::string& message_ts) = 0;
  virtual std::optional<SentNudge> sent_nudge(std::int64_t id) = 0;
  // The nudge posted as this message, if any (a reply in its thread).
  virtual std::optional<SentNudge> sent_nudge_at(const std::string& channel_id,
                                                 const std::string& message_ts) = 0;
  // A nudge's outcome; "answered" stays once reached. False when the nudge
  // does not exist or was answered already.
  virtual bool set_nudge_outcome(std::int64_t id, const std::string& outcome, TimePoint at) = 0;
  // Stores the reflection and marks the nudge answered (a later one replaces it).
  virtual bool record_reflection(std::int64_t id, const std::string& text, TimePoint at) = 0;
  // The prompts of a subject's latest nudges, newest first.
  virtual std::vector<std::string> recent_nudge_prompts(const std::string& subject_kind,
                                                        const std::string& subject_id,
                                                        int limit) = 0;
  // Personal nudges since `since`: one person's, or everyone's for an empty id.
  virtual NudgeFigures nudge_figures(const std::string& user_id, TimePoint since) = 0;
};

class NudgeScheduleStore {
 public:
  virtual ~NudgeScheduleStore() = default;
  virtual void put_schedule(const NudgeSchedule& schedule) = 0;
  virtual std::optional<NudgeSchedule> schedule(const std::string& subject_kind,
                                                const std::string& subject_id) = 0;
  virtual bool remove_schedule(const std::string& subject_kind, const std::string& subject_id) = 0;
};

struct DialogSession {
  std::string user_id;
  std::string script;
  int step = 0;
  nlohmann::json answers = nlohmann::json::object();
  TimePoint started_at;
  TimePoint updated_at;
  // The version this copy was read at; 0 for a session not yet saved. Each
  // save adds one, so two answers handled at once cannot both move the
  // dialog on from the same step.
  std::int64_t version = 0;
};

class DialogStore {
 public:
  virtual ~DialogStore() = default;
  // Saves the session if nobody saved it since it was read (or, at version
  // 0, if the person has no session yet) and returns true; returns false and
  // changes nothing otherwise: read it again and decide anew.
  virtual bool save_dialog(const DialogSession& session) = 0;
  virtual std::optional<DialogSession> dialog(const std::string& user_id) = 0;
  virtual bool remove_dialog(const std::string& user_id) = 0;
};

// A coaching dialog a person had, or has under way. What they wrote is
// theirs alone: shown to nobody else, admins included, and never logged.
struct Reflection {
  std::int64_t id = 0;
  std::string user_id;
  std::string flow;
  std::string state = "open";  // open, completed, cancelled, expired
  // The answers by step id, as the summary shows them; empty once cancelled.
  nlohmann::json answers = nlohmann::json::object();
  std::string action;  // the step the person chose to take, when the flow has one
  TimePoint started_at;
  std::optional<TimePoint> ended_at;
  std::optional<TimePoint> follow_up_due;  // when they asked to be asked how it went
  std::string follow_up_status;            // done, partly, not-yet
  std::string follow_up_answer;
  std::optional<TimePoint> follow_up_at;  // when they answered it
};

// Counts of one person's reflections (or everyone's), since a moment.
struct ReflectionFigures {
  std::int64_t started = 0;
  std::int64_t completed = 0;
  std::int64_t abandoned = 0;  // cancelled or left to expire
  std::int64_t actions = 0;    // completed with an action chosen
  std::int64_t follow_ups_asked = 0;
  std::int64_t follow_ups_answered = 0;
};

class ReflectionStore {
 public:
  virtual ~ReflectionStore() = default;
  // The new reflection's id.
  virtual std::int64_t start_reflection(const Reflection& reflection) = 0;
  // Writes every field but id, user and start; false when it does not exist.
  virtual bool update_reflection(const Reflection& reflection) = 0;
  virtual std::optional<Reflection> reflection(std::int64_t id) = 0;
  // A person's reflections, newest first, at most `limit`.
  virtual std::vector<Reflection> reflections_of(const std::string& user_id, int limit) = 0;
  // One person's, or everyone's for an empty id.
  virtual ReflectionFigures reflection_figures(const std::string& user_id, TimePoint since) = 0;
};

// ---- personal data ----------------------------------------------------------

// A column that holds a person's id, covered by export and forget.
struct PersonColumn {
  std::string table;
  std::string column;
};
std::vector<PersonColumn> person_columns();

class PersonalDataStore {
 public:
  virtual ~PersonalDataStore() = default;
  // Everything stored about the person, one array per kind of record.
  virtual nlohmann::json export_user(const std::string& user_id) = 0;
  // Deletes it; returns how many records of each kind were removed.
  virtual std::map<std::string, std::int64_t> forget_user(const std::string& user_id) = 0;
};

// What is under way across the workspace, for the operator's gauges.
struct ActivityCounts {
  std::int64_t nudge_schedules = 0;  // set and not paused
  std::int64_t dialogs = 0;          // coaching dialogs open (paused ones too)
};

// ---- the whole store ----------------------------------------------------------

// Every store over one database. Opening applies pending migrations.
class SqlStore final : public InboxStore,
                       public PromptHistoryStore,
                       public ProfileStore,
                       public InitiativeStore,
                       public FeedbackStore,
                       public DecisionStore,
                       public ClaimStore,
                       public NudgeScheduleStore,
                       public NudgeLogStore,
                       public DialogStore,
                       public ReflectionStore,
                       public FiguresStore,
                       public PersonalDataStore {
 public:
  SqlStore(std::unique_ptr<Database> database, const Clock& clock);
  ~SqlStore() override;
  static std::unique_ptr<SqlStore> open(const std::string& url, const DatabaseOptions& options,
                                        const Clock& clock);

  Database& database() { return *database_; }
  JobStore& jobs() { return *jobs_; }

  std::vector<std::string> commit_inbox_batch(const std::vector<InboxEntry>& arrived,
                                              const std::vector<std::string>& finished,
                                              const std::string& owner, TimePoint now,
                                              TimePoint lease_until) override;
  std::vector<UnfinishedEnvelope> take_unfinished(const std::string& owner, TimePoint now,
                                                  TimePoint lease_until, bool any_lease, int limit,
                                                  int max_attempts,
                                                  std::int64_t& abandoned) override;
  std::int64_t renew_inbox_leases(const std::string& owner, TimePoint until) override;
  std::int64_t release_inbox_leases(const std::string& owner) override;
  std::int64_t forget_finished_before(TimePoint before) override;

  void record_draw(const std::string& channel, const std::string& category,
                   const std::string& prompt_id, const std::string& user_id, TimePoint at) override;
  std::vector<std::string> recent_draws(const std::string& channel, const std::string& category,
                                        int limit) override;
  std::int64_t forget_draws_before(TimePoint before) override;

  void put_profile(const UserProfile& profile) override;
  std::optional<UserProfile> profile(const std::string& user_id) override;

  std::int64_t create_initiative(const Initiative& initiative) override;
  std::optional<Initiative> initiative(std::int64_t id) override;
  std::vector<Initiative> open_initiatives(const std::string& channel_id) override;
  std::vector<Initiative> awaiting_endorsement(const std::string& user_id) override;
  std::vector<Initiative> led_by(const std::string& user_id) override;
  void set_message_ts(std::int64_t id, const std::string& ts) override;
  bool move_initiative(std::int64_t id, const std::string& from, const std::string& to,
                       TimePoint at) override;
  bool edit_initiative(std::int64_t id, const std::string& title,
                       const std::string& description) override;
  bool discard_draft(std::int64_t id) override;
  std::int64_t forget_drafts_before(TimePoint before) override;
  EndorseResult endorse(const Endorsement& endorsement) override;
  std::vector<Endorsement> endorsements(std::int64_t initiative_id) override;
  bool unfollow(std::int64_t initiative_id, const std::string& user_id) override;
  void set_channel_leads(const std::string& channel_id, const std::vector<std::string>& user_ids,
                         const std::string& set_by, TimePoint at) override;
  std::vector<std::string> channel_leads(const std::string& channel_id) override;
  bool record_nudge(std::int64_t initiative_id, const std::string& user_id, TimePoint at) override;
  std::vector<NudgeRecord> nudged(std::int64_t initiative_id) override;
  void set_nudge_message(std::int64_t initiative_id, const std::string& user_id,
                         const std::string& channel, const std::string& ts) override;
  bool answer_nudge(std::int64_t initiative_id, const std::string& user_id,
                    const std::string& answer, TimePoint at) override;
  std::vector<InitiativeTiming> initiative_timings(const std::string& channel_id) override;

  std::int64_t record_feedback(const Feedback& feedback) override;
  std::optional<Feedback> feedback(std::int64_t id) override;
  bool respond_to_feedback(std::int64_t id, const std::string& responder, const std::string& status,
                           TimePoint at) override;

  std::int64_t record_decision(const SixMonthDecision& decision) override;
  std::vector<SixMonthDecision> decisions_of(const std::string& user_id) override;

  bool claim(const std::string& key, TimePoint at) override;
  void release(const std::string& key) override;
  std::int64_t forget_claims_before(TimePoint before) override;

  void put_schedule(const NudgeSchedule& schedule) override;
  std::optional<NudgeSchedule> schedule(const std::string& subject_kind,
                                        const std::string& subject_id) override;
  std::int64_t record_sent_nudge(const SentNudge& nudge) override;
  void set_nudge_message(std::int64_t id, const std::string& channel_id,
                         const std::string& message_ts) override;
  std::optional<SentNudge> sent_nudge(std::int64_t id) override;
  std::optional<SentNudge> sent_nudge_at(const std::string& channel_id,
                                         const std::string& message_ts) override;
  bool set_nudge_outcome(std::int64_t id, const std::string& outcome, TimePoint at) override;
  bool record_reflection(std::int64_t id, const std::string& text, TimePoint at) override;
  std::vector<std::string> recent_nudge_prompts(const std::string& subject_kind,
                                                const std::string& subject_id, int limit) override;
  NudgeFigures nudge_figures(const std::string& user_id, TimePoint since) override;
  bool remove_schedule(const std::string& subject_kind, const std::string& subject_id) override;

  bool save_dialog(const DialogSession& session) override;
  std::optional<DialogSession> dialog(const std::string& user_id) override;
  bool remove_dialog(const std::string& user_id) override;

  std::int64_t start_reflection(const Reflection& reflection) override;
  bool update_reflection(const Reflection& reflection) override;
  std::optional<Reflection> reflection(std::int64_t id) override;
  std::vector<Reflection> reflections_of(const std::string& user_id, int limit) override;
  ReflectionFigures reflection_figures(const std::string& user_id, TimePoint since) override;

  CoachingFigures figures(const std::string& user_id) override;
  std::vector<std::pair<std::string, CoachingFigures>> figures_by_person(int limit) override;

  nlohmann::json export_user(const std::string& user_id) override;
  std::map<std::string, std::int64_t> forget_user(const std::string& user_id) override;

  ActivityCounts activity_counts(TimePoint now);

 private:
  std::unique_ptr<Database> database_;
  const Clock& clock_;
  std::unique_ptr<JobStore> jobs_;
};

// Times it records itself (created, cancelled) come from `clock`.
std::unique_ptr<JobStore> make_sql_job_store(Database& database, const Clock& clock);

}  // namespace ff::store
