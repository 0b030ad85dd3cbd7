// The SQL of feedback, six-month decisions, claims and the coaching figures drawn from them.
#include "bot/store/sql_rows.hpp"
#include "bot/store/stores.hpp"

namespace ff::store {

using rows::optional_time;

namespace {

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
            "INSERT INTO sixmonth_decisions "
            "(user_id, channel_id, decision, answer, created_at, asked_key) "
            "VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (user_id, asked_key) WHERE asked_key <> '' "
            "DO UPDATE SET answer = excluded.answer RETURNING id",
            {d.user_id, d.channel_id, d.decision, d.answer, to_millis(d.created_at), d.asked_key})
        .rows.at(0)
        .integer(0);
  });
}

// ---- claims ----

bool SqlStore::claim(const std::string& key, TimePoint at) {
  return database_->read([&](SqlSession& s) {
    return s.run(
                "INSERT INTO claims (claim_key, claimed_at) VALUES ($1, $2) "
                "ON CONFLICT (claim_key) DO NOTHING",
                {key, to_millis(at)})
               .affected == 1;
  });
}

void SqlStore::release(const std::string& key) {
  database_->read([&](SqlSession& s) {
    return s.run("DELETE FROM claims WHERE claim_key = $1", {key}).affected;
  });
}

std::int64_t SqlStore::forget_claims_before(TimePoint before) {
  return database_->read([&](SqlSession& s) {
    return s.run("DELETE FROM claims WHERE claimed_at < $1", {to_millis(before)}).affected;
  });
}

std::vector<SixMonthDecision> SqlStore::decisions_of(const std::string& user_id) {
  return database_->read([&](SqlSession& s) {
    std::vector<SixMonthDecision> found;
    for (const auto& row :
         s.run("SELECT id, user_id, channel_id, decision, answer, created_at, asked_key "
               "FROM sixmonth_decisions WHERE user_id = $1 ORDER BY id",
               {user_id})
             .rows) {
      found.push_back({row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4),
                       from_millis(row.integer(5)), row.text(6)});
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

}  // namespace ff::store
