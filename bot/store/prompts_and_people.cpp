// The SQL of prompt rotation and of what the bot caches about people.
#include "bot/store/sql_rows.hpp"
#include "bot/store/stores.hpp"

namespace ff::store {

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

}  // namespace ff::store
