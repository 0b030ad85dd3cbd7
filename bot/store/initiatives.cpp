// The SQL of initiatives: cards, endorsements, channel leads, nudges to endorse.
#include "bot/store/sql_rows.hpp"
#include "bot/store/stores.hpp"

namespace ff::store {

using rows::optional_time;

namespace {

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

}  // namespace

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

namespace {

std::vector<Initiative> initiatives_where(Database& database, const std::string& condition,
                                          const std::string& value) {
  return database.read([&](SqlSession& s) {
    std::vector<Initiative> found;
    for (const auto& row :
         s.run(std::string("SELECT ") + kInitiativeColumns + " FROM initiatives WHERE " + condition,
               {value})
             .rows) {
      found.push_back(initiative_from(row));
    }
    return found;
  });
}

}  // namespace

std::vector<Initiative> SqlStore::open_initiatives(const std::string& channel_id) {
  return initiatives_where(*database_, "channel_id = $1 AND status = 'open' ORDER BY id",
                           channel_id);
}

std::vector<Initiative> SqlStore::led_by(const std::string& user_id) {
  return initiatives_where(*database_, "owner_id = $1 AND status = 'open' ORDER BY created_at, id",
                           user_id);
}

std::vector<Initiative> SqlStore::awaiting_endorsement(const std::string& user_id) {
  return initiatives_where(*database_,
                           "status = 'open' AND id IN (SELECT initiative_id FROM initiative_nudges "
                           "WHERE user_id = $1 AND answer = '') AND id NOT IN (SELECT "
                           "initiative_id FROM endorsements WHERE user_id = $1 AND kind = "
                           "'endorse') ORDER BY created_at, id",
                           user_id);
}

void SqlStore::set_message_ts(std::int64_t id, const std::string& ts) {
  database_->transact([&](SqlSession& s) {
    s.run("UPDATE initiatives SET message_ts = $2 WHERE id = $1", {id, ts});
  });
}

bool SqlStore::move_initiative(std::int64_t id, const std::string& from, const std::string& to,
                               TimePoint at) {
  const char* stamp = to == "open" ? "created_at" : to == "draft" ? nullptr : "closed_at";
  return database_
             ->run_statement(std::string("UPDATE initiatives SET status = $3") +
                                 (stamp ? std::string(", ") + stamp + " = $4" : "") +
                                 " WHERE id = $1 AND status = $2",
                             stamp ? std::vector<SqlValue>{id, from, to, to_millis(at)}
                                   : std::vector<SqlValue>{id, from, to})
             .affected == 1;
}

bool SqlStore::edit_initiative(std::int64_t id, const std::string& title,
                               const std::string& description) {
  return database_
             ->run_statement(
                 "UPDATE initiatives SET title = $2, description = $3 "
                 "WHERE id = $1 AND status IN ('draft', 'open')",
                 {id, title, description})
             .affected == 1;
}

bool SqlStore::discard_draft(std::int64_t id) {
  return database_
             ->run_statement("DELETE FROM initiatives WHERE id = $1 AND status = 'draft'", {id})
             .affected == 1;
}

std::int64_t SqlStore::forget_drafts_before(TimePoint before) {
  return database_
      ->run_statement("DELETE FROM initiatives WHERE status = 'draft' AND created_at < $1",
                      {to_millis(before)})
      .affected;
}

EndorseResult SqlStore::endorse(const Endorsement& e) {
  return database_->read([&](SqlSession& s) {
    // The row lock orders this against move_initiative on PostgreSQL;
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
              "INSERT INTO endorsements (initiative_id, user_id, kind, note, created_at, "
              "first_follower) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING "
              "RETURNING user_id",
              {e.initiative_id, e.user_id, e.kind, e.note, to_millis(e.created_at),
               std::int64_t{e.kind == "endorse" && before == 0}})
             .rows.empty();
    result.outcome = added ? EndorseOutcome::kAdded : EndorseOutcome::kAlreadyThere;
    result.first = added && e.kind == "endorse" && before == 0;
    return result;
  });
}

std::vector<Endorsement> SqlStore::endorsements(std::int64_t initiative_id) {
  return database_->read([&](SqlSession& s) {
    std::vector<Endorsement> found;
    for (const auto& row :
         s.run("SELECT initiative_id, user_id, kind, note, created_at, first_follower "
               "FROM endorsements WHERE initiative_id = $1 "
               "ORDER BY first_follower DESC, created_at, user_id",
               {initiative_id})
             .rows) {
      found.push_back({row.integer(0), row.text(1), row.text(2), row.text(3),
                       from_millis(row.integer(4)), row.integer(5) != 0});
    }
    return found;
  });
}

bool SqlStore::unfollow(std::int64_t initiative_id, const std::string& user_id) {
  return database_
             ->run_statement(
                 "DELETE FROM endorsements WHERE initiative_id = $1 AND user_id = $2 AND "
                 "kind = 'follow'",
                 {initiative_id, user_id})
             .affected == 1;
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

std::vector<NudgeRecord> SqlStore::nudged(std::int64_t initiative_id) {
  std::vector<NudgeRecord> people;
  for (const auto& row : database_
                             ->run_statement("SELECT user_id, answer, message_channel, message_ts "
                                             "FROM initiative_nudges WHERE initiative_id = $1 "
                                             "ORDER BY nudged_at, user_id",
                                             {initiative_id})
                             .rows) {
    people.push_back({row.text(0), row.text(1), row.text(2), row.text(3)});
  }
  return people;
}

void SqlStore::set_nudge_message(std::int64_t initiative_id, const std::string& user_id,
                                 const std::string& channel, const std::string& ts) {
  database_->run_statement(
      "UPDATE initiative_nudges SET message_channel = $3, message_ts = $4 "
      "WHERE initiative_id = $1 AND user_id = $2",
      {initiative_id, user_id, channel, ts});
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
        "AND i.status IN ('open', 'done') ORDER BY i.id",
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

}  // namespace ff::store
