// The SQL of reflection nudge schedules and coaching dialog state.
#include "bot/store/sql_rows.hpp"
#include "bot/store/stores.hpp"

namespace ff::store {

using rows::optional_time;

// ---- nudges and dialogs ----

void SqlStore::put_schedule(const NudgeSchedule& n) {
  database_->transact([&](SqlSession& s) {
    s.run(
        "INSERT INTO nudge_schedules (subject_kind, subject_id, created_by, local_minutes, "
        "weekdays, time_zone, paused_until, updated_at, every_weeks, anchor_monday, topics) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
        "ON CONFLICT (subject_kind, subject_id) DO UPDATE SET created_by = excluded.created_by, "
        "local_minutes = excluded.local_minutes, weekdays = excluded.weekdays, "
        "time_zone = excluded.time_zone, paused_until = excluded.paused_until, "
        "updated_at = excluded.updated_at, every_weeks = excluded.every_weeks, "
        "anchor_monday = excluded.anchor_monday, topics = excluded.topics",
        {n.subject_kind, n.subject_id, n.created_by, std::int64_t{n.local_minutes},
         std::int64_t{n.weekdays}, n.time_zone, optional_time(n.paused_until),
         to_millis(n.updated_at), std::int64_t{n.every_weeks}, n.anchor_monday, n.topics});
  });
}

std::optional<NudgeSchedule> SqlStore::schedule(const std::string& subject_kind,
                                                const std::string& subject_id) {
  return database_->read([&](SqlSession& s) -> std::optional<NudgeSchedule> {
    const SqlResult r = s.run(
        "SELECT subject_kind, subject_id, created_by, local_minutes, weekdays, time_zone, "
        "paused_until, updated_at, every_weeks, anchor_monday, topics FROM nudge_schedules "
        "WHERE subject_kind = $1 AND subject_id = $2",
        {subject_kind, subject_id});
    if (r.rows.empty()) return std::nullopt;
    const SqlRow& row = r.rows.front();
    return NudgeSchedule{row.text(0),
                         row.text(1),
                         row.text(2),
                         static_cast<int>(row.integer(3)),
                         static_cast<int>(row.integer(4)),
                         row.text(5),
                         optional_time(row, 6),
                         from_millis(row.integer(7)),
                         static_cast<int>(row.integer(8)),
                         row.integer(9),
                         row.text(10)};
  });
}

bool SqlStore::remove_schedule(const std::string& subject_kind, const std::string& subject_id) {
  return database_->read([&](SqlSession& s) {
    return s.run("DELETE FROM nudge_schedules WHERE subject_kind = $1 AND subject_id = $2",
                 {subject_kind, subject_id})
               .affected == 1;
  });
}

// ---- nudges sent ----

namespace {

constexpr const char* kSentNudgeColumns =
    "id, subject_kind, subject_id, channel_id, message_ts, prompt_id, sent_at, outcome, "
    "reflection, outcome_at";

SentNudge sent_nudge_of(const SqlRow& row) {
  return {row.integer(0),
          row.text(1),
          row.text(2),
          row.text(3),
          row.text(4),
          row.text(5),
          from_millis(row.integer(6)),
          row.text(7),
          row.text(8),
          optional_time(row, 9)};
}

}  // namespace

std::int64_t SqlStore::record_sent_nudge(const SentNudge& n) {
  return database_->read([&](SqlSession& s) {
    return s
        .run(
            "INSERT INTO nudges_sent (subject_kind, subject_id, channel_id, message_ts, "
            "prompt_id, sent_at, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            {n.subject_kind, n.subject_id, n.channel_id, n.message_ts, n.prompt_id,
             to_millis(n.sent_at), n.outcome})
        .rows.at(0)
        .integer(0);
  });
}

void SqlStore::set_nudge_message(std::int64_t id, const std::string& channel_id,
                                 const std::string& message_ts) {
  database_->read([&](SqlSession& s) {
    return s
        .run("UPDATE nudges_sent SET channel_id = $2, message_ts = $3 WHERE id = $1",
             {id, channel_id, message_ts})
        .affected;
  });
}

std::optional<SentNudge> SqlStore::sent_nudge(std::int64_t id) {
  return database_->read([&](SqlSession& s) -> std::optional<SentNudge> {
    const SqlResult r =
        s.run(std::string("SELECT ") + kSentNudgeColumns + " FROM nudges_sent WHERE id = $1", {id});
    if (r.rows.empty()) return std::nullopt;
    return sent_nudge_of(r.rows.front());
  });
}

std::optional<SentNudge> SqlStore::sent_nudge_at(const std::string& channel_id,
                                                 const std::string& message_ts) {
  return database_->read([&](SqlSession& s) -> std::optional<SentNudge> {
    const SqlResult r = s.run(std::string("SELECT ") + kSentNudgeColumns +
                                  " FROM nudges_sent WHERE channel_id = $1 AND message_ts = $2 "
                                  "AND message_ts <> '' ORDER BY id DESC LIMIT 1",
                              {channel_id, message_ts});
    if (r.rows.empty()) return std::nullopt;
    return sent_nudge_of(r.rows.front());
  });
}

bool SqlStore::set_nudge_outcome(std::int64_t id, const std::string& outcome, TimePoint at) {
  return database_->read([&](SqlSession& s) {
    return s.run(
                "UPDATE nudges_sent SET outcome = $2, outcome_at = $3 "
                "WHERE id = $1 AND outcome <> 'answered'",
                {id, outcome, to_millis(at)})
               .affected == 1;
  });
}

bool SqlStore::record_reflection(std::int64_t id, const std::string& text, TimePoint at) {
  return database_->read([&](SqlSession& s) {
    return s.run(
                "UPDATE nudges_sent SET outcome = 'answered', reflection = $2, outcome_at = $3 "
                "WHERE id = $1",
                {id, text, to_millis(at)})
               .affected == 1;
  });
}

std::vector<std::string> SqlStore::recent_nudge_prompts(const std::string& subject_kind,
                                                        const std::string& subject_id, int limit) {
  return database_->read([&](SqlSession& s) {
    std::vector<std::string> prompts;
    for (const auto& row :
         s.run("SELECT prompt_id FROM nudges_sent WHERE subject_kind = $1 AND subject_id = $2 "
               "ORDER BY sent_at DESC, id DESC LIMIT $3",
               {subject_kind, subject_id, std::int64_t{limit}})
             .rows) {
      prompts.push_back(row.text(0));
    }
    return prompts;
  });
}

NudgeFigures SqlStore::nudge_figures(const std::string& user_id, TimePoint since) {
  return database_->read([&](SqlSession& s) {
    const SqlResult r = s.run(
        "SELECT count(*), "
        "coalesce(sum(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN outcome = 'snoozed' THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN outcome = 'skipped' THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN outcome = 'paused' THEN 1 ELSE 0 END), 0) "
        "FROM nudges_sent WHERE subject_kind = 'user' AND sent_at >= $2 "
        "AND (CAST($1 AS TEXT) = '' OR subject_id = CAST($1 AS TEXT))",
        {user_id, to_millis(since)});
    const SqlRow& row = r.rows.at(0);
    return NudgeFigures{row.integer(0), row.integer(1), row.integer(2), row.integer(3),
                        row.integer(4)};
  });
}

bool SqlStore::save_dialog(const DialogSession& d) {
  return database_->read([&](SqlSession& s) {
    if (d.version == 0) {
      return s.run(
                  "INSERT INTO dialog_sessions (user_id, script, step, answers, started_at, "
                  "updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 1) "
                  "ON CONFLICT (user_id) DO NOTHING",
                  {d.user_id, d.script, std::int64_t{d.step}, d.answers.dump(),
                   to_millis(d.started_at), to_millis(d.updated_at)})
                 .affected == 1;
    }
    return s.run(
                "UPDATE dialog_sessions SET script = $2, step = $3, answers = $4, "
                "started_at = $5, updated_at = $6, version = version + 1 "
                "WHERE user_id = $1 AND version = $7",
                {d.user_id, d.script, std::int64_t{d.step}, d.answers.dump(),
                 to_millis(d.started_at), to_millis(d.updated_at), d.version})
               .affected == 1;
  });
}

std::optional<DialogSession> SqlStore::dialog(const std::string& user_id) {
  return database_->read([&](SqlSession& s) -> std::optional<DialogSession> {
    const SqlResult r = s.run(
        "SELECT user_id, script, step, answers, started_at, updated_at, version "
        "FROM dialog_sessions "
        "WHERE user_id = $1",
        {user_id});
    if (r.rows.empty()) return std::nullopt;
    const SqlRow& row = r.rows.front();
    return DialogSession{row.text(0),
                         row.text(1),
                         static_cast<int>(row.integer(2)),
                         nlohmann::json::parse(row.text(3), nullptr, false),
                         from_millis(row.integer(4)),
                         from_millis(row.integer(5)),
                         row.integer(6)};
  });
}

bool SqlStore::remove_dialog(const std::string& user_id) {
  return database_->read([&](SqlSession& s) {
    return s.run("DELETE FROM dialog_sessions WHERE user_id = $1", {user_id}).affected == 1;
  });
}

// ---- reflections ----

namespace {

constexpr const char* kReflectionColumns =
    "id, user_id, flow, state, answers, action, started_at, ended_at, follow_up_due_at, "
    "follow_up_status, follow_up_answer, follow_up_at";

Reflection reflection_of(const SqlRow& row) {
  Reflection r;
  r.id = row.integer(0);
  r.user_id = row.text(1);
  r.flow = row.text(2);
  r.state = row.text(3);
  r.answers = nlohmann::json::parse(row.text(4), nullptr, false);
  if (!r.answers.is_object()) r.answers = nlohmann::json::object();
  r.action = row.text(5);
  r.started_at = from_millis(row.integer(6));
  r.ended_at = optional_time(row, 7);
  r.follow_up_due = optional_time(row, 8);
  r.follow_up_status = row.text(9);
  r.follow_up_answer = row.text(10);
  r.follow_up_at = optional_time(row, 11);
  return r;
}

}  // namespace

std::int64_t SqlStore::start_reflection(const Reflection& r) {
  return database_->read([&](SqlSession& s) {
    return s
        .run(
            "INSERT INTO reflections (user_id, flow, state, answers, action, started_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            {r.user_id, r.flow, r.state, r.answers.dump(), r.action, to_millis(r.started_at)})
        .rows.at(0)
        .integer(0);
  });
}

bool SqlStore::update_reflection(const Reflection& r) {
  return database_->read([&](SqlSession& s) {
    return s.run(
                "UPDATE reflections SET flow = $2, state = $3, answers = $4, action = $5, "
                "ended_at = $6, follow_up_due_at = $7, follow_up_status = $8, "
                "follow_up_answer = $9, follow_up_at = $10 WHERE id = $1",
                {r.id, r.flow, r.state, r.answers.dump(), r.action, optional_time(r.ended_at),
                 optional_time(r.follow_up_due), r.follow_up_status, r.follow_up_answer,
                 optional_time(r.follow_up_at)})
               .affected == 1;
  });
}

std::optional<Reflection> SqlStore::reflection(std::int64_t id) {
  return database_->read([&](SqlSession& s) -> std::optional<Reflection> {
    const SqlResult r = s.run(
        std::string("SELECT ") + kReflectionColumns + " FROM reflections WHERE id = $1", {id});
    if (r.rows.empty()) return std::nullopt;
    return reflection_of(r.rows.front());
  });
}

std::vector<Reflection> SqlStore::reflections_of(const std::string& user_id, int limit) {
  return database_->read([&](SqlSession& s) {
    std::vector<Reflection> found;
    for (const auto& row :
         s.run(std::string("SELECT ") + kReflectionColumns +
                   " FROM reflections WHERE user_id = $1 ORDER BY started_at DESC, id DESC "
                   "LIMIT $2",
               {user_id, std::int64_t{limit}})
             .rows) {
      found.push_back(reflection_of(row));
    }
    return found;
  });
}

ReflectionFigures SqlStore::reflection_figures(const std::string& user_id, TimePoint since) {
  return database_->read([&](SqlSession& s) {
    const SqlResult r = s.run(
        "SELECT count(*), "
        "coalesce(sum(CASE WHEN state = 'completed' THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN state IN ('cancelled', 'expired') THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN state = 'completed' AND action <> '' THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN follow_up_due_at IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN follow_up_at IS NOT NULL THEN 1 ELSE 0 END), 0) "
        "FROM reflections WHERE started_at >= $2 "
        "AND (CAST($1 AS TEXT) = '' OR user_id = CAST($1 AS TEXT))",
        {user_id, to_millis(since)});
    const SqlRow& row = r.rows.at(0);
    return ReflectionFigures{row.integer(0), row.integer(1), row.integer(2),
                             row.integer(3), row.integer(4), row.integer(5)};
  });
}

ActivityCounts SqlStore::activity_counts(TimePoint now) {
  return database_->read([&](SqlSession& s) {
    const SqlResult r = s.run(
        "SELECT (SELECT count(*) FROM nudge_schedules "
        "WHERE paused_until IS NULL OR paused_until <= $1), "
        "(SELECT count(*) FROM dialog_sessions)",
        {to_millis(now)});
    return ActivityCounts{r.rows.at(0).integer(0), r.rows.at(0).integer(1)};
  });
}

}  // namespace ff::store
