#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "bot/errors.hpp"

namespace ff::store {

// The one SQL value type both back ends speak. Times are stored as
// milliseconds since the Unix epoch (BIGINT), flags as 0/1.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

struct SqlRow {
  std::vector<SqlValue> values;

  bool is_null(std::size_t column) const;
  std::int64_t integer(std::size_t column) const;  // NULL reads as 0
  std::string text(std::size_t column) const;      // NULL reads as ""
};

struct SqlResult {
  std::vector<std::string> columns;
  std::vector<SqlRow> rows;
  std::int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

enum class Dialect { kSqlite, kPostgres };

// A database failure. what() is safe to log: it never holds a password.
class StoreError : public Unavailable {
 public:
  using Unavailable::Unavailable;
};

// The database could not be reached, or stayed busy, for the whole retry
// budget. Nothing of the failed transaction was kept; the caller decides
// whether to tell the person to try again or to retry later itself.
class StoreUnavailable : public StoreError {
 public:
  using StoreError::StoreError;
};

// The database cannot be used at all: unreadable, not a database, or written
// by a newer firstfollower. The bot stops with this message and touches
// nothing.
class DatabaseOpenError : public StoreError {
 public:
  using StoreError::StoreError;
};

// One connection inside one transaction. Statements are prepared once per
// connection and cached by their text; parameters are $1, $2, … in both
// dialects, and `{{token}}`s are expanded per dialect (see expand_dialect).
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  virtual SqlResult run(const std::string& sql, const std::vector<SqlValue>& params = {}) = 0;
  // Several statements without parameters, for migrations.
  virtual void run_script(const std::string& sql) = 0;
};

struct DatabaseOptions {
  // How long one transaction may keep retrying a busy database, a
  // serialization conflict or a lost connection before StoreUnavailable.
  std::chrono::milliseconds retry_budget{3000};
  // After a failed connection attempt, calls fail at once for this long
  // instead of each waiting on a dead server (the ack path must stay fast).
  std::chrono::milliseconds reconnect_pause{1000};
  int postgres_pool_size = 4;
  // SQLite: NORMAL survives a crash of the process (kill -9) with every
  // committed transaction; FULL also survives a power cut, at a few hundred
  // commits per second instead of tens of thousands.
  std::string sqlite_synchronous = "NORMAL";
  // Only look: a SQLite file is opened read-only and never created, and
  // nothing is set up in it (for --check-config).
  bool read_only = false;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  // "sqlite:<path>" or "postgresql://user@host:port/db", never a password.
  virtual std::string describe() const = 0;

  // Runs `work` in one transaction and commits it. A transient failure
  // (busy database, serialization conflict, dropped connection) rolls back
  // and runs `work` again, so `work` must have no effect outside the
  // database. Other exceptions roll back and propagate.
  virtual void transact(const std::function<void(SqlSession&)>& work) = 0;

  // One statement, atomic on its own. PostgreSQL runs it without BEGIN and
  // COMMIT, a third of the round trips; retried like a transaction.
  virtual SqlResult run_statement(const std::string& sql, const std::vector<SqlValue>& params = {});

  // Rows that statements stepped through while reading a whole table, not
  // an index, since the database was opened (SQLite; 0 where not counted).
  // Statements the bot runs again and again must add nothing here: the
  // store tests check it, so a query that misses its index shows at once.
  virtual std::uint64_t rows_read_by_full_scans() const { return 0; }

  template <typename Work>
  auto read(Work&& work) -> decltype(work(std::declval<SqlSession&>())) {
    std::optional<decltype(work(std::declval<SqlSession&>()))> result;
    transact([&](SqlSession& session) { result = work(session); });
    return std::move(*result);
  }
};

// "postgresql://…" or "postgres://…" opens PostgreSQL; anything else is a
// SQLite file path (an optional "sqlite:" prefix is dropped).
std::unique_ptr<Database> open_database(const std::string& url, const DatabaseOptions& options);
// A database URL with any password replaced by "***", for logs and errors.
std::string redact_url(const std::string& url);
// The SQLite file a database URL names, or nothing for PostgreSQL.
std::optional<std::string> sqlite_file_of(const std::string& url);

std::unique_ptr<Database> open_sqlite(const std::string& path, const DatabaseOptions& options);
std::unique_ptr<Database> open_postgres(const std::string& url, const DatabaseOptions& options);

// Expands the dialect tokens of a statement:
//   {{id}}           an auto-numbered BIGINT primary key
//   {{skip_locked}}  row locks that skip rows another instance holds (PostgreSQL);
//                    nothing on SQLite, whose writers are already serialized
//   {{for_update}}   a row lock held to the end of the transaction (PostgreSQL)
std::string expand_dialect(const std::string& sql, Dialect dialect);

std::int64_t to_millis(std::chrono::system_clock::time_point at);
std::chrono::system_clock::time_point from_millis(std::int64_t millis);

}  // namespace ff::store
