#include "bot/store/migrations.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

namespace ff::store {
namespace {

// Any number, the same in every instance: the key of the advisory lock that
// serializes migrations on PostgreSQL.
constexpr std::int64_t kMigrationLockKey = 0x6666'6d69'6772;  // "ffmigr"

const char* const kPlatformSchema = R"sql(
-- Envelope and event ids already handled, so a redelivery after a restart or
-- to another instance is handled once. Old ids are deleted by maintenance.
CREATE TABLE processed_ids (
  id TEXT PRIMARY KEY,
  seen_at BIGINT NOT NULL
);
CREATE INDEX processed_ids_seen_at ON processed_ids (seen_at);

-- Durable jobs: reminders, nudges, maintenance. A job moves
-- pending -> claimed -> started -> done, or ends skipped, failed, cancelled
-- or abandoned. unique_key holds at most one live job per key.
CREATE TABLE jobs (
  id {{id}},
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  due_at BIGINT NOT NULL,
  grace_until BIGINT NOT NULL,
  delivery TEXT NOT NULL,
  state TEXT NOT NULL,
  unique_key TEXT UNIQUE,
  subject_user TEXT,
  owner TEXT,
  lease_until BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX jobs_pending ON jobs (due_at, id) WHERE state = 'pending';
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state IN ('claimed', 'started');
CREATE INDEX jobs_subject ON jobs (subject_user) WHERE subject_user IS NOT NULL;
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Which questions a channel has seen, for rotation.
CREATE TABLE prompt_history (
  id {{id}},
  channel_id TEXT NOT NULL,
  category TEXT NOT NULL,
  prompt_id TEXT NOT NULL,
  drawn_at BIGINT NOT NULL
);
CREATE INDEX prompt_history_channel ON prompt_history (channel_id, drawn_at, id);
CREATE INDEX prompt_history_category ON prompt_history (channel_id, category, drawn_at, id);
CREATE INDEX prompt_history_drawn_at ON prompt_history (drawn_at);

-- What users.info said about a person, for time zones.
CREATE TABLE user_profiles (
  user_id TEXT PRIMARY KEY,
  time_zone TEXT NOT NULL,
  tz_offset_seconds INTEGER NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  fetched_at BIGINT NOT NULL
);
)sql";

const char* const kFeatureSchema = R"sql(
CREATE TABLE initiatives (
  id {{id}},
  team_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  message_ts TEXT,
  created_at BIGINT NOT NULL,
  closed_at BIGINT
);
CREATE INDEX initiatives_channel ON initiatives (channel_id, status);
CREATE INDEX initiatives_owner ON initiatives (owner_id);

-- Endorsements and follows of an initiative; one of each kind per person.
CREATE TABLE endorsements (
  initiative_id BIGINT NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (initiative_id, user_id, kind)
);
CREATE INDEX endorsements_user ON endorsements (user_id);

CREATE TABLE feedback (
  id {{id}},
  from_user TEXT NOT NULL,
  to_user TEXT NOT NULL,
  channel_id TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL,
  non_blocking INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  responded_at BIGINT
);
CREATE INDEX feedback_from ON feedback (from_user);
CREATE INDEX feedback_to ON feedback (to_user);

-- Answers to "will this matter to me in six months?".
CREATE TABLE sixmonth_decisions (
  id {{id}},
  user_id TEXT NOT NULL,
  channel_id TEXT NOT NULL DEFAULT '',
  decision TEXT NOT NULL,
  answer TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX sixmonth_decisions_user ON sixmonth_decisions (user_id);

-- Reflection nudges for a person or a channel, in a time zone.
CREATE TABLE nudge_schedules (
  subject_kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  created_by TEXT NOT NULL,
  local_minutes INTEGER NOT NULL,
  weekdays INTEGER NOT NULL,
  time_zone TEXT NOT NULL,
  paused_until BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (subject_kind, subject_id)
);
CREATE INDEX nudge_schedules_created_by ON nudge_schedules (created_by);

-- A private coaching dialog in progress, one per person.
CREATE TABLE dialog_sessions (
  user_id TEXT PRIMARY KEY,
  script TEXT NOT NULL,
  step INTEGER NOT NULL,
  answers TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
)sql";

const char* const kFiguresSchema = R"sql(
-- Who asked for each question, for the figures of /coach stats.
ALTER TABLE prompt_history ADD COLUMN drawn_by TEXT NOT NULL DEFAULT '';
CREATE INDEX prompt_history_drawn_by ON prompt_history (drawn_by);
)sql";

const char* const kNudgeSchema = R"sql(
-- The people an admin named to be nudged about every initiative of a channel.
CREATE TABLE channel_leads (
  channel_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_leads_user ON channel_leads (user_id);

-- Who was asked to back an initiative, and what they answered.
CREATE TABLE initiative_nudges (
  initiative_id BIGINT NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  nudged_at BIGINT NOT NULL,
  answer TEXT NOT NULL DEFAULT '',
  answered_at BIGINT,
  PRIMARY KEY (initiative_id, user_id)
);
CREATE INDEX initiative_nudges_user ON initiative_nudges (user_id);
)sql";

const char* const kFirstFollowerSchema = R"sql(
-- Which endorsement came first, recorded when it is made. Existing rows: the
-- earliest endorsement of each initiative.
ALTER TABLE endorsements ADD COLUMN first_follower INTEGER NOT NULL DEFAULT 0;
UPDATE endorsements SET first_follower = 1
WHERE kind = 'endorse' AND NOT EXISTS (
  SELECT 1 FROM endorsements earlier
  WHERE earlier.initiative_id = endorsements.initiative_id AND earlier.kind = 'endorse'
    AND (earlier.created_at < endorsements.created_at
         OR (earlier.created_at = endorsements.created_at
             AND earlier.user_id < endorsements.user_id)));
)sql";

const char* const kDialogVersionSchema = R"sql(
-- Each save of a dialog adds one, so a save from a stale read is refused;
-- a session saved before counts as saved once.
ALTER TABLE dialog_sessions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
)sql";

const char* const kInboxSchema = R"sql(
-- Every envelope that arrived, written before it is acked, until handled
-- (state pending -> done, or abandoned after too many attempts). A
-- redelivery finds its envelope id, or the event id Slack repeats in a
-- retried event's new envelope, already here. An unfinished one belongs to
-- owner until lease_until; seq is the order of arrival; frame is what arrived, to handle it again, and
-- is emptied once it was handled.
CREATE TABLE inbox (
  seq {{id}},
  envelope_id TEXT NOT NULL UNIQUE,
  event_id TEXT UNIQUE,
  frame TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  owner TEXT,
  lease_until BIGINT NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 1,
  received_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX inbox_unfinished ON inbox (state, lease_until);
CREATE INDEX inbox_finished_at ON inbox (finished_at);
-- The ids handled before the inbox existed stay known for their window.
INSERT INTO inbox (envelope_id, event_id, frame, state, received_at, finished_at)
  SELECT id, CASE WHEN id LIKE 'event:%' THEN substr(id, 7) END, '', 'done', seen_at, seen_at
  FROM processed_ids;
DROP TABLE processed_ids;
)sql";

const char* const kNudgeMessageSchema = R"sql(
-- The DM that asked a person to back an initiative, so that it can say
-- "you endorsed it" or "it is done" instead of asking on.
ALTER TABLE initiative_nudges ADD COLUMN message_channel TEXT NOT NULL DEFAULT '';
ALTER TABLE initiative_nudges ADD COLUMN message_ts TEXT NOT NULL DEFAULT '';
)sql";

const char* const kOnceSchema = R"sql(
-- The asking a six-month answer belongs to, so pressing again ("not sure",
-- then "no") changes that answer instead of counting a second decision.
ALTER TABLE sixmonth_decisions ADD COLUMN asked_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX sixmonth_decisions_asked ON sixmonth_decisions (user_id, asked_key)
  WHERE asked_key <> '';

-- Effects that must happen once however often they are asked for.
CREATE TABLE claims (
  claim_key TEXT PRIMARY KEY,
  claimed_at BIGINT NOT NULL
);
CREATE INDEX claims_age ON claims (claimed_at);
)sql";

const char* const kReflectionNudgeSchema = R"sql(
-- How often a schedule repeats (every N weeks, counted from the week of
-- anchor_monday, in local days since 1970-01-01) and the question categories
-- it draws from ('' for all).
ALTER TABLE nudge_schedules ADD COLUMN every_weeks INTEGER NOT NULL DEFAULT 1;
ALTER TABLE nudge_schedules ADD COLUMN anchor_monday BIGINT NOT NULL DEFAULT 0;
ALTER TABLE nudge_schedules ADD COLUMN topics TEXT NOT NULL DEFAULT '';

-- Each reflection nudge sent, what became of it, and the reflection written
-- in answer (private to its person: shown to nobody else, admins included).
CREATE TABLE nudges_sent (
  id {{id}},
  subject_kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  message_ts TEXT NOT NULL DEFAULT '',
  prompt_id TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  outcome TEXT NOT NULL DEFAULT 'sent',
  reflection TEXT NOT NULL DEFAULT '',
  outcome_at BIGINT
);
CREATE INDEX nudges_sent_subject ON nudges_sent (subject_kind, subject_id, sent_at);
CREATE INDEX nudges_sent_message ON nudges_sent (channel_id, message_ts);
)sql";

const char* const kPendingKeySchema = R"sql(
-- Pending jobs by key in byte order, so cancelling the jobs of one key
-- prefix (a person's nudges, an initiative's reminders) reads only those.
CREATE INDEX jobs_pending_keys ON jobs (unique_key {{bytes}}) WHERE state = 'pending';
)sql";

const char* const kReflectionSchema = R"sql(
-- Each coaching dialog a person had, or has under way, with what they
-- answered (theirs alone: shown to nobody else, admins included) and the
-- follow-up they asked for on the action they chose.
CREATE TABLE reflections (
  id {{id}},
  user_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  answers TEXT NOT NULL DEFAULT '{}',
  action TEXT NOT NULL DEFAULT '',
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  follow_up_due_at BIGINT,
  follow_up_status TEXT NOT NULL DEFAULT '',
  follow_up_answer TEXT NOT NULL DEFAULT '',
  follow_up_at BIGINT
);
CREATE INDEX reflections_user ON reflections (user_id, started_at);
CREATE INDEX reflections_started ON reflections (started_at);
)sql";

const char* const kJobLaneSchema = R"sql(
-- Bulk jobs (a fan-out of scheduled nudges) are claimed apart from the jobs
-- people wait on, each lane through its own index in due order.
ALTER TABLE jobs ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET lane = 1 WHERE kind IN ('nudge.send', 'nudge.snoozed');
CREATE INDEX jobs_pending_lane ON jobs (lane, due_at, id) WHERE state = 'pending';
)sql";

int recorded_version(SqlSession& session, Dialect dialect) {
  const SqlResult exists = session.run(
      dialect == Dialect::kSqlite
          ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
          : "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name = 'schema_migrations'");
  if (exists.rows.at(0).integer(0) == 0) return 0;
  const SqlResult version = session.run("SELECT coalesce(max(version), 0) FROM schema_migrations");
  return static_cast<int>(version.rows.at(0).integer(0));
}

void refuse_newer(Database& database, int found) {
  if (found <= latest_schema_version()) return;
  throw DatabaseOpenError(database.describe() + " has schema version " + std::to_string(found) +
                          ", newer than this firstfollower understands (" +
                          std::to_string(latest_schema_version()) +
                          "). It was left untouched; run a newer firstfollower against it.");
}

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "dedupe, jobs, prompt rotation, user profiles", kPlatformSchema},
      {2, "initiatives, endorsements, feedback, six-month decisions, nudges, dialogs",
       kFeatureSchema},
      {3, "who drew each question", kFiguresSchema},
      {4, "channel leads and initiative nudges", kNudgeSchema},
      {5, "the first follower recorded with the endorsement", kFirstFollowerSchema},
      {6, "a version on each dialog, for saves that do not overwrite", kDialogVersionSchema},
      {7, "the inbox: envelopes written before their ack, in place of processed ids", kInboxSchema},
      {8, "where each nudge to back an initiative was sent, to keep it true", kNudgeMessageSchema},
      {9, "six-month answers once per asking, and claims for effects done once", kOnceSchema},
      {10, "reflection nudges: repeats, topics, and each nudge sent", kReflectionNudgeSchema},
      {11, "pending jobs by key, for cancelling by prefix", kPendingKeySchema},
      {12, "coaching dialogs had, their answers and follow-ups", kReflectionSchema},
      {13, "jobs in two lanes: bulk fan-outs apart from what people wait on", kJobLaneSchema},
  };
  return all;
}

int latest_schema_version() {
  return migrations().back().version;
}

int schema_version(Database& database) {
  return database.read(
      [&](SqlSession& session) { return recorded_version(session, database.dialect()); });
}

void migrate(Database& database, int target) {
  migrate(database, SystemClock::instance(), target);
}

void migrate(Database& database, const Clock& clock, int target) {
  if (target < 0) target = latest_schema_version();
  // Look before writing anything, so a newer schema is refused untouched.
  const int found = schema_version(database);
  refuse_newer(database, found);
  if (found >= target) return;

  database.transact([&](SqlSession& session) {
    if (database.dialect() == Dialect::kPostgres) {
      session.run("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey});
    }
    session.run_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "description TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    // Another instance may have migrated while this one waited for the lock.
    const int current = recorded_version(session, database.dialect());
    refuse_newer(database, current);
    for (const Migration& step : migrations()) {
      if (step.version <= current || step.version > target) continue;
      session.run_script(step.sql);
      session.run(
          "INSERT INTO schema_migrations (version, description, applied_at) "
          "VALUES ($1, $2, $3)",
          {std::int64_t{step.version}, step.description, to_millis(clock.now())});
      spdlog::info("database {}: applied schema step {} ({})", database.describe(), step.version,
                   step.description);
    }
  });
}

}  // namespace ff::store
