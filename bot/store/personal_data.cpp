// Export and forget: everything stored about one person, found through one
// table of queries so that export and forget can never disagree about what
// "everything" is. A table that gains a column naming a person must be
// listed here; the store tests check that a forgotten person exports empty.
#include <ctime>

#include "bot/store/stores.hpp"

namespace ff::store {
namespace {

struct PersonalRecords {
  const char* kind;
  const char* select;
  const char* erase;
};

// Ordered so that deletes run children first.
constexpr PersonalRecords kPersonalRecords[] = {
    {"endorsements", "SELECT * FROM endorsements WHERE user_id = $1 ORDER BY created_at",
     "DELETE FROM endorsements WHERE user_id = $1"},
    {"initiative_nudges", "SELECT * FROM initiative_nudges WHERE user_id = $1",
     "DELETE FROM initiative_nudges WHERE user_id = $1"},
    {"channel_leads", "SELECT * FROM channel_leads WHERE user_id = $1",
     "DELETE FROM channel_leads WHERE user_id = $1"},
    {"initiatives", "SELECT * FROM initiatives WHERE owner_id = $1 ORDER BY id",
     "DELETE FROM initiatives WHERE owner_id = $1"},
    {"feedback_given", "SELECT * FROM feedback WHERE from_user = $1 ORDER BY id",
     "DELETE FROM feedback WHERE from_user = $1"},
    {"feedback_received", "SELECT * FROM feedback WHERE to_user = $1 ORDER BY id",
     "DELETE FROM feedback WHERE to_user = $1"},
    {"sixmonth_decisions", "SELECT * FROM sixmonth_decisions WHERE user_id = $1 ORDER BY id",
     "DELETE FROM sixmonth_decisions WHERE user_id = $1"},
    {"nudge_schedules",
     "SELECT * FROM nudge_schedules WHERE created_by = $1 "
     "OR (subject_kind = 'user' AND subject_id = $1) ORDER BY subject_kind, subject_id",
     "DELETE FROM nudge_schedules WHERE created_by = $1 "
     "OR (subject_kind = 'user' AND subject_id = $1)"},
    {"dialog_sessions", "SELECT * FROM dialog_sessions WHERE user_id = $1",
     "DELETE FROM dialog_sessions WHERE user_id = $1"},
    {"user_profiles", "SELECT * FROM user_profiles WHERE user_id = $1",
     "DELETE FROM user_profiles WHERE user_id = $1"},
    {"scheduled_jobs",
     "SELECT id, kind, payload, due_at, state, created_at, finished_at FROM jobs "
     "WHERE subject_user = $1 ORDER BY id",
     "DELETE FROM jobs WHERE subject_user = $1"},
};

bool is_time_column(const std::string& name) {
  auto ends_with = [&](const char* suffix) {
    const std::size_t n = std::char_traits<char>::length(suffix);
    return name.size() >= n && name.compare(name.size() - n, n, suffix) == 0;
  };
  return ends_with("_at") || ends_with("_until");
}

std::string iso8601(std::int64_t millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

nlohmann::json to_json(const std::string& column, const SqlValue& value) {
  if (std::holds_alternative<std::nullptr_t>(value)) return nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    return is_time_column(column) ? nlohmann::json(iso8601(*i)) : nlohmann::json(*i);
  }
  if (const auto* d = std::get_if<double>(&value)) return *d;
  const auto& text = std::get<std::string>(value);
  // Columns that hold JSON are shown as JSON, not as a quoted string.
  if (column == "payload" || column == "answers") {
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_discarded()) return parsed;
  }
  return text;
}

}  // namespace

nlohmann::json SqlStore::export_user(const std::string& user_id) {
  return database_->read([&](SqlSession& s) {
    nlohmann::json out = {{"user_id", user_id}};
    for (const auto& records : kPersonalRecords) {
      nlohmann::json rows = nlohmann::json::array();
      const SqlResult result = s.run(records.select, {user_id});
      for (const auto& row : result.rows) {
        nlohmann::json object = nlohmann::json::object();
        for (std::size_t c = 0; c < result.columns.size(); ++c) {
          object[result.columns[c]] = to_json(result.columns[c], row.values[c]);
        }
        rows.push_back(std::move(object));
      }
      out[records.kind] = std::move(rows);
    }
    return out;
  });
}

std::map<std::string, std::int64_t> SqlStore::forget_user(const std::string& user_id) {
  return database_->read([&](SqlSession& s) {
    std::map<std::string, std::int64_t> removed;
    for (const auto& records : kPersonalRecords) {
      removed[records.kind] = s.run(records.erase, {user_id}).affected;
    }
    return removed;
  });
}

}  // namespace ff::store
