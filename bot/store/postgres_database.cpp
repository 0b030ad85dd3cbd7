// The PostgreSQL back end: a small pool of libpq connections, statements
// prepared once per connection, and reconnection after a dropped connection
// or a server restart.
#include <libpq-fe.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "bot/store/database.hpp"

namespace ff::store {
namespace {

// A failure worth retrying in a new transaction: a serialization conflict,
// a deadlock, or a connection that broke under us.
struct TransientFailure : StoreError {
  using StoreError::StoreError;
};

// OIDs of the built-in types the schema uses (pg_type.dat).
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kFloat4Oid = 700,
              kFloat8Oid = 701, kNumericOid = 1700;

class PostgresConnection final : public SqlSession {
 public:
  explicit PostgresConnection(PGconn* connection) : connection_(connection) {
    PQsetNoticeProcessor(
        connection_, [](void*, const char*) {}, nullptr);
  }
  ~PostgresConnection() override { PQfinish(connection_); }

  bool healthy() const { return !broken_ && PQstatus(connection_) == CONNECTION_OK; }

  SqlResult run(const std::string& sql, const std::vector<SqlValue>& params = {}) override {
    const std::string& name = prepared(sql);
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        texts[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&params[i])) {
        char buffer[40];
        std::snprintf(buffer, sizeof buffer, "%.17g", *d);
        texts[i] = buffer;
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        texts[i] = *s;
      } else {
        continue;  // NULL
      }
      values[i] = texts[i].c_str();
    }
    PGresult* answer = PQexecPrepared(connection_, name.c_str(), static_cast<int>(params.size()),
                                      values.data(), nullptr, nullptr, 0);
    return collect(answer);
  }

  void run_script(const std::string& sql) override {
    collect(PQexec(connection_, expand_dialect(sql, Dialect::kPostgres).c_str()));
  }

  void execute(const char* sql) { collect(PQexec(connection_, sql)); }

 private:
  const std::string& prepared(const std::string& sql) {
    const auto found = statements_.find(sql);
    if (found != statements_.end()) return found->second;
    std::string name = "ff" + std::to_string(statements_.size());
    collect(PQprepare(connection_, name.c_str(), expand_dialect(sql, Dialect::kPostgres).c_str(), 0,
                      nullptr));
    return statements_.emplace(sql, std::move(name)).first->second;
  }

  SqlResult collect(PGresult* answer) {
    std::unique_ptr<PGresult, decltype(&PQclear)> owned(answer, &PQclear);
    const ExecStatusType status = answer ? PQresultStatus(answer) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(answer);

    SqlResult result;
    const int columns = PQnfields(answer);
    for (int c = 0; c < columns; ++c) result.columns.emplace_back(PQfname(answer, c));
    const int rows = PQntuples(answer);
    result.rows.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      SqlRow row;
      row.values.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(answer, r, c)) {
          row.values.emplace_back(nullptr);
          continue;
        }
        const char* text = PQgetvalue(answer, r, c);
        switch (PQftype(answer, c)) {
          case kInt8Oid:
          case kInt4Oid:
          case kInt2Oid:
            row.values.emplace_back(static_cast<std::int64_t>(std::strtoll(text, nullptr, 10)));
            break;
          case kBoolOid:
            row.values.emplace_back(static_cast<std::int64_t>(text[0] == 't'));
            break;
          case kFloat4Oid:
          case kFloat8Oid:
          case kNumericOid:
            row.values.emplace_back(std::strtod(text, nullptr));
            break;
          default:
            row.values.emplace_back(
                std::string(text, static_cast<std::size_t>(PQgetlength(answer, r, c))));
        }
      }
      result.rows.push_back(std::move(row));
    }
    const char* affected = PQcmdTuples(answer);
    result.affected = affected && *affected ? std::strtoll(affected, nullptr, 10) : 0;
    return result;
  }

  [[noreturn]] void fail(const PGresult* answer) {
    const char* state = answer ? PQresultErrorField(answer, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state ? state : "";
    std::string message = answer ? PQresultErrorMessage(answer) : PQerrorMessage(connection_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    // Class 08 is a connection exception; 57P01-03 mean the server is
    // shutting down or starting; no SQLSTATE at all means the socket broke.
    const bool connection_lost = PQstatus(connection_) != CONNECTION_OK || sqlstate.empty() ||
                                 sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P0", 0) == 0;
    if (connection_lost) {
      broken_ = true;
      throw TransientFailure("connection to PostgreSQL lost: " + message);
    }
    if (sqlstate == "40001" || sqlstate == "40P01") throw TransientFailure(message);
    throw StoreError(message + " (SQLSTATE " + sqlstate + ")");
  }

  PGconn* connection_;
  bool broken_ = false;
  std::unordered_map<std::string, std::string> statements_;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, const DatabaseOptions& options)
      : url_(std::move(url)), options_(options) {
    // Connect once now, so a wrong URL or password stops the start with a
    // clear message rather than failing the first slash command.
    auto first = connect();
    if (!first.second.empty()) {
      throw DatabaseOpenError("cannot connect to " + describe() + ": " + first.second);
    }
    open_ = 1;
    release(std::move(first.first));
  }

  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string describe() const override { return redact_url(url_); }

  void transact(const std::function<void(SqlSession&)>& work) override { attempt(true, work); }

  SqlResult run_statement(const std::string& sql, const std::vector<SqlValue>& params) override {
    std::optional<SqlResult> result;
    attempt(false, [&](SqlSession& session) { result = session.run(sql, params); });
    return std::move(*result);
  }

 private:
  // Runs `work` on a pooled connection, in a transaction or not, retrying
  // transient failures within the retry budget.
  void attempt(bool in_transaction, const std::function<void(SqlSession&)>& work) {
    const auto give_up_at = std::chrono::steady_clock::now() + options_.retry_budget;
    auto pause = std::chrono::milliseconds{10};
    for (;;) {
      std::unique_ptr<PostgresConnection> connection = acquire();
      try {
        if (in_transaction) connection->execute("BEGIN");
        work(*connection);
        if (in_transaction) connection->execute("COMMIT");
        release(std::move(connection));
        return;
      } catch (const TransientFailure& error) {
        roll_back(std::move(connection));
        if (std::chrono::steady_clock::now() >= give_up_at) {
          throw StoreUnavailable("PostgreSQL transaction kept failing: " +
                                 std::string(error.what()));
        }
        spdlog::debug("retrying a PostgreSQL transaction: {}", error.what());
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds{250});
      } catch (...) {
        roll_back(std::move(connection));
        throw;
      }
    }
  }

  // A connection and an empty string, or nullptr and the reason.
  std::pair<std::unique_ptr<PostgresConnection>, std::string> connect() {
    std::vector<const char*> keys{"dbname", "application_name"};
    std::vector<const char*> values{url_.c_str(), "firstfollower"};
    if (url_.find("connect_timeout") == std::string::npos) {
      keys.push_back("connect_timeout");
      values.push_back("3");
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* raw = PQconnectdbParams(keys.data(), values.data(), 1);
    if (raw == nullptr) return {nullptr, "out of memory"};
    if (PQstatus(raw) != CONNECTION_OK) {
      std::string reason = PQerrorMessage(raw);
      PQfinish(raw);
      while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
      return {nullptr, reason};
    }
    auto connection = std::make_unique<PostgresConnection>(raw);
    connection->execute("SET client_min_messages = warning");
    return {std::move(connection), std::string()};
  }

  // An idle connection, or a new one while the pool has room; waits for one
  // otherwise. Fails at once while the server is known to be down.
  std::unique_ptr<PostgresConnection> acquire() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty() || open_ < options_.postgres_pool_size; });
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    if (std::chrono::steady_clock::now() < unavailable_until_) {
      throw StoreUnavailable("PostgreSQL at " + describe() + " is unreachable; retrying shortly");
    }
    ++open_;
    lock.unlock();
    auto [connection, reason] = connect();
    if (connection) return std::move(connection);
    lock.lock();
    --open_;
    unavailable_until_ = std::chrono::steady_clock::now() + options_.reconnect_pause;
    returned_.notify_one();
    throw StoreUnavailable("cannot connect to PostgreSQL at " + describe() + ": " + reason);
  }

  void release(std::unique_ptr<PostgresConnection> connection) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
    returned_.notify_one();
  }

  // Returns a connection whose transaction failed to the pool, or drops it
  // when it is broken.
  void roll_back(std::unique_ptr<PostgresConnection> connection) {
    if (connection->healthy()) {
      try {
        connection->execute("ROLLBACK");
        release(std::move(connection));
        return;
      } catch (const StoreError&) {
      }
    }
    connection.reset();
    discard();
  }

  // Makes room in the pool for a new connection after one broke.
  void discard() {
    std::lock_guard lock(mutex_);
    --open_;
    returned_.notify_one();
  }

  const std::string url_;
  const DatabaseOptions options_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_;
  int open_ = 0;
  std::chrono::steady_clock::time_point unavailable_until_{};
};

}  // namespace

std::unique_ptr<Database> open_postgres(const std::string& url, const DatabaseOptions& options) {
  return std::make_unique<PostgresDatabase>(url, options);
}

}  // namespace ff::store
