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

void SqlStore::put_dialog(const DialogSession& d) {
  database_->transact([&](SqlSession& s) {
    s.run(
        "INSERT INTO dialog_sessions (user_id, script, step, answers, started_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET "
        "script = excluded.script, step = excluded.step, answers = excluded.answers, "
        "started_at = excluded.started_at, updated_at = excluded.updated_at",
        {d.user_id, d.script, std::int64_t{d.step}, d.answers.dump(), to_millis(d.started_at),
         to_millis(d.updated_at)});
  });
}

std::optional<DialogSession> SqlStore::dialog(const std::string& user_id) {
  return database_->read([&](SqlSession& s) -> std::optional<DialogSession> {
    const SqlResult r = s.run(
        "SELECT user_id, script, step, answers, started_at, updated_at FROM dialog_sessions "
        "WHERE user_id = $1",
        {user_id});
    if (r.rows.empty()) return std::nullopt;
    const SqlRow& row = r.rows.front();
    return DialogSession{row.text(0),
                         row.text(1),
                         static_cast<int>(row.integer(2)),
                         nlohmann::json::parse(row.text(3), nullptr, false),
                         from_millis(row.integer(4)),
                         from_millis(row.integer(5))};
  });
}

bool SqlStore::remove_dialog(const std::string& user_id) {
  return database_->read([&](SqlSession& s) {
    return s.run("DELETE FROM dialog_sessions WHERE user_id = $1", {user_id}).affected == 1;
  });
}

}  // namespace ff::store
