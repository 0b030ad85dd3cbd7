#include <spdlog/spdlog.h>

#include "store/migrations.hpp"
#include "store/stores.hpp"

namespace ff::store {
namespace {

SqlValue optional_time(const std::optional<TimePoint>& at) {
  return at ? SqlValue{to_millis(*at)} : SqlValue{nullptr};
}

std::optional<TimePoint> optional_time(const SqlRow& row, std::size_t column) {
  if (row.is_null(column)) return std::nullopt;
  return from_millis(row.integer(column));
}

constexpr const char* kInitiativeColumns =
    "id, team_id, channel_id, owner_id, title, description, status, message_ts, created_at, "
    "closed_at";

Initiative initiative_from(const SqlRow& row) {
  Initiative i;
  i.id = row.integer(0);
  i.team_id = row.text(1);
  i.channel_id = row.text(2);
  i.owner_id = row.text(3);
  i.title = row.text(4);
  i.description = row.text(5);
  i.status = row.text(6);
  i.message_ts = row.text(7);
  i.created_at = from_millis(row.integer(8));
  i.closed_at = optional_time(row, 9);
  return i;
}

constexpr const char* kFeedbackColumns =
    "id, from_user, to_user, channel_id, text, non_blocking, status, created_at, responded_at";

Feedback feedback_from(const SqlRow& row) {
  Feedback f;
  f.id = row.integer(0);
  f.from_user = row.text(1);
  f.to_user = row.text(2);
  f.channel_id = row.text(3);
  f.text = row.text(4);
  f.non_blocking = row.integer(5) != 0;
  f.status = row.text(6);
  f.created_at = from_millis(row.integer(7));
  f.responded_at = optional_time(row, 8);
  return f;
}

}  // namespace

SqlStore::SqlStore(std::unique_ptr<Database> database, const Clock& clock)
    : database_(std::move(database)), clock_(clock), jobs_(make_sql_job_store(*database_)) {}

SqlStore::~SqlStore() = default;

std::unique_ptr<SqlStore> SqlStore::open(const std::string& url, const DatabaseOptions& options,
                                         const Clock& clock) {
  auto database = open_database(url, options);
  migrate(*database);
  return std::make_unique<SqlStore>(std::move(database), clock);
}

// ---- dedupe ----

bool SqlStore::first_time(std::string_view key) {
  const std::int64_t now = to_millis(clock_.now());
  return !database_
              ->run_statement(
                  "INSERT INTO processed_ids (id, seen_at) VALUES ($1, $2) "
                  "ON CONFLICT (id) DO NOTHING RETURNING id",
                  {std::string(key), now})
              .rows.empty();
}

std::int64_t SqlStore::expire(TimePoint before) {
  return database_->read([&](SqlSession& s) {
    return s.run("DELETE FROM processed_ids WHERE seen_at < $1", {to_millis(before)}).affected;
  });
}

// ---- prompt rotation ----

void SqlStore::record_draw(const std::string& channel, const std::string& category,
                           const std::string& prompt_id, const std::string& user_id, TimePoint at) {
  database_->run_statement(
      "INSERT INTO prompt_history (channel_id, category, prompt_id, drawn_by, drawn_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {channel, category, prompt_id, user_id, to_millis(at)});
}

std::vector<std::string> SqlStore::recent_draws(const std::string& channel,
                                                const std::string& category, int limit) {
  const SqlResult result =
      category.empty()
          ? database_->run_statement(
                "SELECT prompt_id FROM prompt_history WHERE channel_id = $1 "
                "ORDER BY drawn_at DESC, id DESC LIMIT $2",
                {channel, std::int64_t{limit}})
          : database_->run_statement(
                "SELECT prompt_id FROM prompt_history WHERE channel_id = $1 AND category = $2 "
                "ORDER BY drawn_at DESC, id DESC LIMIT $3",
                {channel, category, std::int64_t{limit}});
  std::vector<std::string> ids;
  for (const auto& row : result.rows) ids.push_back(row.text(0));
  return ids;
}

std::int64_t SqlStore::forget_draws_before(TimePoint before) {
  return database_
      ->run_statement("DELETE FROM prompt_history WHERE drawn_at < $1", {to_millis(before)})
      .affected;
}

// ---- people ----

void SqlStore::put_profile(const UserProfile& p) {
  database_->transact([&](SqlSession& s) {
    s.run(
        "INSERT INTO user_profiles (user_id, time_zone, tz_offset_seconds, display_name, "
        "fetched_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET "
        "time_zone = excluded.time_zone, tz_offset_seconds = excluded.tz_offset_seconds, "
        "display_name = excluded.display_name, fetched_at = excluded.fetched_at",
        {p.user_id, p.time_zone, std::int64_t{p.tz_offset_seconds}, p.display_name,
         to_millis(p.fetched_at)});
  });
}

std::optional<UserProfile> SqlStore::profile(const std::string& user_id) {
  return database_->read([&](SqlSession& s) -> std::optional<UserProfile> {
    const SqlResult r = s.run(
        "SELECT user_id, time_zone, tz_offset_seconds, display_name, fetched_at "
        "FROM user_profiles WHERE user_id = $1",
        {user_id});
    if (r.rows.empty()) return std::nullopt;
    const SqlRow& row = r.rows.front();
    return UserProfile{row.text(0), row.text(1), static_cast<int>(row.integer(2)), row.text(3),
                       from_millis(row.integer(4))};
  });
}

// ---- initiatives ----

std::int64_t SqlStore::create_initiative(const Initiative& i) {
  return database_->read([&](SqlSession& s) {
    return s
        .run(
            "INSERT INTO initiatives (team_id, channel_id, owner_id, title, description, status, "
            "message_ts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            {i.team_id, i.channel_id, i.owner_id, i.title, i.description, i.status,
             i.message_ts.empty() ? SqlValue{nullptr} : SqlValue{i.message_ts},
             to_millis(i.created_at)})
        .rows.at(0)
        .integer(0);
  });
}

std::optional<Initiative> SqlStore::initiative(std::int64_t id) {
  return database_->read([&](SqlSession& s) -> std::optional<Initiative> {
    const SqlResult r = s.run(
        std::string("SELECT ") + kInitiativeColumns + " FROM initiatives WHERE id = $1", {id});
    if (r.rows.empty()) return std::nullopt;
    return initiative_from(r.rows.front());
  });
}

std::vector<Initiative> SqlStore::open_initiatives(const std::string& channel_id) {
  return database_->read([&](SqlSession& s) {
    std::vector<Initiative> found;
    for (const auto& row : s.run(std::string("SELECT ") + kInitiativeColumns +
                                     " FROM initiatives WHERE channel_id = $1 AND status = 'open' "
                                     "ORDER BY id",
                                 {channel_id})
                               .rows) {
      found.push_back(initiative_from(row));
    }
    return found;
  });
}

void SqlStore::set_message_ts(std::int64_t id, const std::string& ts) {
  database_->transact([&](SqlSession& s) {
    s.run("UPDATE initiatives SET message_ts = $2 WHERE id = $1", {id, ts});
  });
}

bool SqlStore::close_initiative(std::int64_t id, const std::string& status, TimePoint at) {
  return database_->read([&](SqlSession& s) {
    return s.run(
                "UPDATE initiatives SET status = $2, closed_at = $3 "
                "WHERE id = $1 AND status = 'open'",
                {id, status, to_millis(at)})
               .affected == 1;
  });
}

EndorseResult SqlStore::endorse(const Endorsement& e) {
  return database_->read([&](SqlSession& s) {
    // The row lock orders this against close_initiative on PostgreSQL;
    // SQLite's single writer orders them anyway.
    const SqlResult status =
        s.run("SELECT status FROM initiatives WHERE id = $1 {{for_update}}", {e.initiative_id});
    EndorseResult result;
    if (status.rows.empty()) return result;
    if (status.rows.front().text(0) != "open") {
      result.outcome = EndorseOutcome::kNotOpen;
      return result;
    }
    const std::int64_t before =
        s.run("SELECT count(*) FROM endorsements WHERE initiative_id = $1 AND kind = 'endorse'",
              {e.initiative_id})
            .rows.at(0)
            .integer(0);
    const bool added =
        !s.run(
              "INSERT INTO endorsements (initiative_id, user_id, kind, note, created_at) "
              "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING user_id",
              {e.initiative_id, e.user_id, e.kind, e.note, to_millis(e.created_at)})
             .rows.empty();
    result.outcome = added ? EndorseOutcome::kAdded : EndorseOutcome::kAlreadyThere;
    result.first = added && e.kind == "endorse" && before == 0;
    return result;
  });
}

std::vector<Endorsement> SqlStore::endorsements(std::int64_t initiative_id) {
  return database_->read([&](SqlSession& s) {
    std::vector<Endorsement> found;
    for (const auto& row : s.run("SELECT initiative_id, user_id, kind, note, created_at "
                                 "FROM endorsements WHERE initiative_id = $1 "
                                 "ORDER BY created_at, user_id",
                                 {initiative_id})
                               .rows) {
      found.push_back(
          {row.integer(0), row.text(1), row.text(2), row.text(3), from_millis(row.integer(4))});
    }
    return found;
  });
}

void SqlStore::set_channel_leads(const std::string& channel_id,
                                 const std::vector<std::string>& user_ids,
                                 const std::string& set_by, TimePoint at) {
  database_->transact([&](SqlSession& s) {
    s.run("DELETE FROM channel_leads WHERE channel_id = $1", {channel_id});
    for (const auto& user : user_ids) {
      s.run(
          "INSERT INTO channel_leads (channel_id, user_id, added_by, added_at) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
          {channel_id, user, set_by, to_millis(at)});
    }
  });
}

std::vector<std::string> SqlStore::channel_leads(const std::string& channel_id) {
  std::vector<std::string> leads;
  for (const auto& row : database_
                             ->run_statement("SELECT user_id FROM channel_leads WHERE "
                                             "channel_id = $1 ORDER BY added_at, user_id",
                                             {channel_id})
                             .rows) {
    leads.push_back(row.text(0));
  }
  return leads;
}

bool SqlStore::record_nudge(std::int64_t initiative_id, const std::string& user_id, TimePoint at) {
  return !database_
              ->run_statement(
                  "INSERT INTO initiative_nudges (initiative_id, user_id, nudged_at) "
                  "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING user_id",
                  {initiative_id, user_id, to_millis(at)})
              .rows.empty();
}

std::vector<std::string> SqlStore::nudged(std::int64_t initiative_id) {
  std::vector<std::string> people;
  for (const auto& row : database_
                             ->run_statement("SELECT user_id FROM initiative_nudges WHERE "
                                             "initiative_id = $1 ORDER BY nudged_at, user_id",
                                             {initiative_id})
                             .rows) {
    people.push_back(row.text(0));
  }
  return people;
}

bool SqlStore::answer_nudge(std::int64_t initiative_id, const std::string& user_id,
                            const std::string& answer, TimePoint at) {
  return database_
             ->run_statement(
                 "UPDATE initiative_nudges SET answer = $3, answered_at = $4 "
                 "WHERE initiative_id = $1 AND user_id = $2 AND answer = ''",
                 {initiative_id, user_id, answer, to_millis(at)})
             .affected == 1;
}

std::vector<InitiativeTiming> SqlStore::initiative_timings(const std::string& channel_id) {
  return database_->read([&](SqlSession& s) {
    std::vector<InitiativeTiming> timings;
    const SqlResult initiatives = s.run(
        "SELECT i.id, i.owner_id, i.created_at, "
        "(SELECT min(e.created_at) FROM endorsements e "
        " WHERE e.initiative_id = i.id AND e.kind = 'endorse') "
        "FROM initiatives i WHERE (CAST($1 AS TEXT) = '' OR i.channel_id = CAST($1 AS TEXT)) "
        "ORDER BY i.id",
        {channel_id});
    for (const auto& row : initiatives.rows) {
      InitiativeTiming t;
      t.initiative_id = row.integer(0);
      t.owner_id = row.text(1);
      t.created_at = from_millis(row.integer(2));
      t.first_endorsed_at = optional_time(row, 3);
      for (const auto& nudge :
           s.run("SELECT n.user_id, (SELECT min(e.created_at) FROM endorsements e "
                 " WHERE e.initiative_id = n.initiative_id AND e.user_id = n.user_id "
                 " AND e.kind = 'endorse') FROM initiative_nudges n "
                 "WHERE n.initiative_id = $1 ORDER BY n.user_id",
                 {t.initiative_id})
               .rows) {
        t.nudged.emplace_back(nudge.text(0), optional_time(nudge, 1));
      }
      timings.push_back(std::move(t));
    }
    return timings;
  });
}

// ---- feedback and decisions ----

std::int64_t SqlStore::record_feedback(const Feedback& f) {
  return database_->read([&](SqlSession& s) {
    return s
        .run(
            "INSERT INTO feedback (from_user, to_user, channel_id, text, non_blocking, status, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            {f.from_user, f.to_user, f.channel_id, f.text, std::int64_t{f.non_blocking}, f.status,
             to_millis(f.created_at)})
        .rows.at(0)
        .integer(0);
  });
}

std::optional<Feedback> SqlStore::feedback(std::int64_t id) {
  return database_->read([&](SqlSession& s) -> std::optional<Feedback> {
    const SqlResult r =
        s.run(std::string("SELECT ") + kFeedbackColumns + " FROM feedback WHERE id = $1", {id});
    if (r.rows.empty()) return std::nullopt;
    return feedback_from(r.rows.front());
  });
}

bool SqlStore::respond_to_feedback(std::int64_t id, const std::string& responder,
                                   const std::string& status, TimePoint at) {
  return database_->read([&](SqlSession& s) {
    return s.run(
                "UPDATE feedback SET status = $3, responded_at = $4 "
                "WHERE id = $1 AND to_user = $2 AND status = 'sent'",
                {id, responder, status, to_millis(at)})
               .affected == 1;
  });
}

std::int64_t SqlStore::record_decision(const SixMonthDecision& d) {
  return database_->read([&](SqlSession& s) {
    return s
        .run(
            "INSERT INTO sixmonth_decisions (user_id, channel_id, decision, answer, created_at) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING id",
            {d.user_id, d.channel_id, d.decision, d.answer, to_millis(d.created_at)})
        .rows.at(0)
        .integer(0);
  });
}

std::vector<SixMonthDecision> SqlStore::decisions_of(const std::string& user_id) {
  return database_->read([&](SqlSession& s) {
    std::vector<SixMonthDecision> found;
    for (const auto& row : s.run("SELECT id, user_id, channel_id, decision, answer, created_at "
                                 "FROM sixmonth_decisions WHERE user_id = $1 ORDER BY id",
                                 {user_id})
                               .rows) {
      found.push_back({row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4),
                       from_millis(row.integer(5))});
    }
    return found;
  });
}

// ---- figures ----

namespace {

// One query for one person or everyone: each kind of record counted per
// person, then summed.
constexpr const char* kFiguresByPerson = R"sql(
  SELECT person,
         sum(drawn) AS drawn, sum(given) AS given, sum(non_blocking) AS non_blocking,
         sum(led) AS led, sum(followed) AS followed, sum(unsure) AS unsure
  FROM (
    SELECT drawn_by AS person, 1 AS drawn, 0 AS given, 0 AS non_blocking,
           0 AS led, 0 AS followed, 0 AS unsure
      FROM prompt_history WHERE drawn_by <> ''
    UNION ALL
    SELECT from_user, 0, 1, non_blocking, 0, 0, 0 FROM feedback
    UNION ALL
    SELECT user_id, 0, 0, 0,
           CASE WHEN answer = 'yes' THEN 1 ELSE 0 END,
           CASE WHEN answer = 'no' THEN 1 ELSE 0 END,
           CASE WHEN answer = 'unsure' THEN 1 ELSE 0 END
      FROM sixmonth_decisions
  ) AS activity
  WHERE CAST($1 AS TEXT) = '' OR person = CAST($1 AS TEXT)
  GROUP BY person
)sql";

CoachingFigures figures_from(const SqlRow& row, std::size_t first) {
  return {row.integer(first),     row.integer(first + 1), row.integer(first + 2),
          row.integer(first + 3), row.integer(first + 4), row.integer(first + 5)};
}

}  // namespace

CoachingFigures SqlStore::figures(const std::string& user_id) {
  return database_->read([&](SqlSession& s) {
    const SqlResult r =
        s.run(std::string("SELECT coalesce(sum(drawn), 0), coalesce(sum(given), 0), "
                          "coalesce(sum(non_blocking), 0), coalesce(sum(led), 0), "
                          "coalesce(sum(followed), 0), coalesce(sum(unsure), 0) FROM (") +
                  kFiguresByPerson + ") AS people",
              {user_id});
    return figures_from(r.rows.at(0), 0);
  });
}

std::vector<std::pair<std::string, CoachingFigures>> SqlStore::figures_by_person(int limit) {
  return database_->read([&](SqlSession& s) {
    const SqlResult r = s.run(std::string("SELECT * FROM (") + kFiguresByPerson +
                                  ") AS people ORDER BY drawn + given + led + followed + unsure "
                                  "DESC, person LIMIT $2",
                              {std::string(), std::int64_t{limit}});
    std::vector<std::pair<std::string, CoachingFigures>> found;
    for (const auto& row : r.rows) found.emplace_back(row.text(0), figures_from(row, 1));
    return found;
  });
}

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
