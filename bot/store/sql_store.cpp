// The SQL store: one Database, migrated at open, behind every store
// interface. Each feature's statements live in a file named after it:
// jobs_and_dedupe.cpp, prompts_and_people.cpp, initiatives.cpp,
// feedback_and_figures.cpp, nudges_and_dialogs.cpp, personal_data.cpp.
#include "bot/store/migrations.hpp"
#include "bot/store/stores.hpp"

namespace ff::store {

SqlStore::SqlStore(std::unique_ptr<Database> database, const Clock& clock)
    : database_(std::move(database)), clock_(clock), jobs_(make_sql_job_store(*database_, clock)) {}

SqlStore::~SqlStore() = default;

std::unique_ptr<SqlStore> SqlStore::open(const std::string& url, const DatabaseOptions& options,
                                         const Clock& clock) {
  auto database = open_database(url, options);
  migrate(*database, clock);
  return std::make_unique<SqlStore>(std::move(database), clock);
}

}  // namespace ff::store
