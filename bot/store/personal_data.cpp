// Export and forget: everything stored about one person, found through one
// table of queries so that export and forget can never disagree about what
// "everything" is. A table that gains a column naming a person must be
// listed here: a store test reads the schema and fails on any column not
// classified, and checks that a forgotten person exports empty.
#include <ctime>
#include <vector>

#include "bot/store/stores.hpp"

namespace ff::store {
namespace {

// One kind of record about a person: the table and the columns that hold
// the person's id, how to show the records, and how to remove them. Where a
// record belongs to others too (the channel leads an admin named), forget
// clears the person's id from it instead of deleting it.
struct PersonalRecords {
  const char* kind;
  const char* table;
  std::vector<const char*> columns;
  const char* select;
  const char* erase;
};

// Ordered so that deletes run children first.
const std::vector<PersonalRecords>& personal_records() {
  static const std::vector<PersonalRecords> all = {
      {"endorsements",
       "endorsements",
       {"user_id"},
       "SELECT * FROM endorsements WHERE user_id = $1 ORDER BY created_at",
       "DELETE FROM endorsements WHERE user_id = $1"},
      {"initiative_nudges",
       "initiative_nudges",
       {"user_id"},
       "SELECT * FROM initiative_nudges WHERE user_id = $1",
       "DELETE FROM initiative_nudges WHERE user_id = $1"},
      {"channel_leads",
       "channel_leads",
       {"user_id"},
       "SELECT * FROM channel_leads WHERE user_id = $1",
       "DELETE FROM channel_leads WHERE user_id = $1"},
      {"channel_leads_named",
       "channel_leads",
       {"added_by"},
       "SELECT * FROM channel_leads WHERE added_by = $1",
       "UPDATE channel_leads SET added_by = '' WHERE added_by = $1"},
      {"initiatives",
       "initiatives",
       {"owner_id"},
       "SELECT * FROM initiatives WHERE owner_id = $1 ORDER BY id",
       "DELETE FROM initiatives WHERE owner_id = $1"},
      {"feedback_given",
       "feedback",
       {"from_user"},
       "SELECT * FROM feedback WHERE from_user = $1 ORDER BY id",
       "DELETE FROM feedback WHERE from_user = $1"},
      {"feedback_received",
       "feedback",
       {"to_user"},
       "SELECT * FROM feedback WHERE to_user = $1 ORDER BY id",
       "DELETE FROM feedback WHERE to_user = $1"},
      {"sixmonth_decisions",
       "sixmonth_decisions",
       {"user_id"},
       "SELECT * FROM sixmonth_decisions WHERE user_id = $1 ORDER BY id",
       "DELETE FROM sixmonth_decisions WHERE user_id = $1"},
      // The questions a person drew, and the rotation of `/coach me`, kept
      // under their own id in place of a channel.
      {"questions_drawn",
       "prompt_history",
       {"drawn_by", "channel_id"},
       "SELECT * FROM prompt_history WHERE drawn_by = $1 OR channel_id = $1 ORDER BY id",
       "DELETE FROM prompt_history WHERE drawn_by = $1 OR channel_id = $1"},
      {"nudge_schedules",
       "nudge_schedules",
       {"created_by", "subject_id"},
       "SELECT * FROM nudge_schedules WHERE created_by = $1 "
       "OR (subject_kind = 'user' AND subject_id = $1) ORDER BY subject_kind, subject_id",
       "DELETE FROM nudge_schedules WHERE created_by = $1 "
       "OR (subject_kind = 'user' AND subject_id = $1)"},
      {"nudges_received",
       "nudges_sent",
       {"subject_id"},
       "SELECT * FROM nudges_sent WHERE subject_kind = 'user' AND subject_id = $1 ORDER BY id",
       "DELETE FROM nudges_sent WHERE subject_kind = 'user' AND subject_id = $1"},
      {"dialog_sessions",
       "dialog_sessions",
       {"user_id"},
       "SELECT * FROM dialog_sessions WHERE user_id = $1",
       "DELETE FROM dialog_sessions WHERE user_id = $1"},
      {"reflections",
       "reflections",
       {"user_id"},
       "SELECT * FROM reflections WHERE user_id = $1 ORDER BY id",
       "DELETE FROM reflections WHERE user_id = $1"},
      {"user_profiles",
       "user_profiles",
       {"user_id"},
       "SELECT * FROM user_profiles WHERE user_id = $1",
       "DELETE FROM user_profiles WHERE user_id = $1"},
      {"scheduled_jobs",
       "jobs",
       {"subject_user"},
       "SELECT id, kind, payload, due_at, state, created_at, finished_at FROM jobs "
       "WHERE subject_user = $1 ORDER BY id",
       "DELETE FROM jobs WHERE subject_user = $1"},
  };
  return all;
}

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

std::vector<PersonColumn> person_columns() {
  std::vector<PersonColumn> columns;
  for (const auto& records : personal_records()) {
    for (const char* column : records.columns) columns.push_back({records.table, column});
  }
  return columns;
}

nlohmann::json SqlStore::export_user(const std::string& user_id) {
  return database_->read([&](SqlSession& s) {
    nlohmann::json out = {{"user_id", user_id}};
    for (const auto& records : personal_records()) {
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
    for (const auto& records : personal_records()) {
      removed[records.kind] = s.run(records.erase, {user_id}).affected;
    }
    return removed;
  });
}

}  // namespace ff::store
