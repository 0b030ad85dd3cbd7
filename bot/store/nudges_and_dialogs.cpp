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
        "weekdays, time_zone, paused_until, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (subject_kind, subject_id) DO UPDATE SET created_by = excluded.created_by, "
        "local_minutes = excluded.local_minutes, weekdays = excluded.weekdays, "
        "time_zone = excluded.time_zone, paused_until = excluded.paused_until, "
        "updated_at = excluded.updated_at",
        {n.subject_kind, n.subject_id, n.created_by, std::int64_t{n.local_minutes},
         std::int64_t{n.weekdays}, n.time_zone, optional_time(n.paused_until),
         to_millis(n.updated_at)});
  });
}

std::optional<NudgeSchedule> SqlStore::schedule(const std::string& subject_kind,
                                                const std::string& subject_id) {
  return database_->read([&](SqlSession& s) -> std::optional<NudgeSchedule> {
    const SqlResult r = s.run(
        "SELECT subject_kind, subject_id, created_by, local_minutes, weekdays, time_zone, "
        "paused_until, updated_at FROM nudge_schedules "
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
                         from_millis(row.integer(7))};
  });
}

bool SqlStore::remove_schedule(const std::string& subject_kind, const std::string& subject_id) {
  return database_->read([&](SqlSession& s) {
    return s.run("DELETE FROM nudge_schedules WHERE subject_kind = $1 AND subject_id = $2",
                 {subject_kind, subject_id})
               .affected == 1;
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

}  // namespace ff::store
