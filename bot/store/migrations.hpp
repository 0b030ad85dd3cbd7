#pragma once

#include <string>
#include <vector>

#include "bot/clock.hpp"
#include "bot/store/database.hpp"

namespace ff::store {

// One forward-only schema step. Its SQL runs in one transaction together with
// the row that records it, so a step is applied whole or not at all.
struct Migration {
  int version;
  std::string description;
  std::string sql;  // may use the dialect tokens of expand_dialect
};

const std::vector<Migration>& migrations();
int latest_schema_version();

// The version recorded in the database; 0 for an empty one.
int schema_version(Database& database);

// Applies every missing step up to `target` (default: all). Safe when two
// instances start at once: PostgreSQL takes an advisory lock, SQLite a write
// lock, and the version is read again under the lock. A database written by
// a newer firstfollower is refused with DatabaseOpenError before anything
// is written.
void migrate(Database& database, int target = -1);
// The same, with each step's applied_at read from `clock`.
void migrate(Database& database, const Clock& clock, int target = -1);

}  // namespace ff::store
