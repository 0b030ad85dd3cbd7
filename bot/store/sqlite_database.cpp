// The SQLite back end: one file, one connection per process guarded by a
// mutex. SQLite serializes writers anyway, and an in-process call costs
// microseconds, so a pool would add nothing but lock contention.
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "bot/store/database.hpp"

namespace ff::store {
namespace {

// A failure worth retrying: another writer holds the file.
struct TransientFailure : StoreError {
  using StoreError::StoreError;
};

// SQLite numbers its parameters ?1, ?2…; the shared statements use $1, $2….
std::string to_sqlite_parameters(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const bool numbered =
        sql[i] == '$' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]));
    out += numbered ? '?' : sql[i];
  }
  return out;
}

class SqliteDatabase final : public Database, private SqlSession {
 public:
  SqliteDatabase(std::string path, const DatabaseOptions& options)
      : path_(std::move(path)), options_(options) {
    const int access =
        options_.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    const int opened = sqlite3_open_v2(
        path_.c_str(), &db_, access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
    if (opened != SQLITE_OK) {
      refuse("cannot open the database file " + path_ + ": " +
             (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(opened)));
    }
    sqlite3_busy_timeout(db_, static_cast<int>(options_.retry_budget.count()));
    // Read before anything writes: a file that is not a database, or is
    // damaged in its header, fails here and is left exactly as it was.
    try {
      run("SELECT count(*) FROM sqlite_master");
    } catch (const StoreError& error) {
      refuse("the database file " + path_ + " cannot be read (" + error.what() +
             "). It was left untouched; restore it from a backup or point --db at another "
             "file.");
    }
    refuse_if_damaged();
    // Looking needs no journal set-up and no checkpoints.
    if (options_.read_only) return;
    // Switching to WAL needs the file to itself for a moment; another
    // instance starting at the same time makes it report "locked" at once
    // rather than wait, so it is retried within the budget.
    const auto give_up_at = std::chrono::steady_clock::now() + options_.retry_budget;
    for (;;) {
      try {
        // journal_size_limit: when a checkpoint has copied the whole log
        // back, the next writer starts the log over and cuts the file to
        // this size, so a burst leaves no large file behind.
        run_script("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=" +
                   checked_synchronous(options_.sqlite_synchronous) +
                   "; PRAGMA journal_size_limit=" + std::to_string(kWalSizeLimitBytes) + ";");
        break;
      } catch (const TransientFailure& error) {
        if (std::chrono::steady_clock::now() < give_up_at) {
          std::this_thread::sleep_for(std::chrono::milliseconds{10});
          continue;
        }
        refuse("cannot prepare the database file " + path_ + ": " + error.what());
      } catch (const StoreError& error) {
        refuse("cannot prepare the database file " + path_ + ": " + error.what());
      }
    }
    start_checkpointer();
  }

  ~SqliteDatabase() override {
    stop_checkpointer();
    close();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string describe() const override { return "sqlite:" + path_; }
  std::uint64_t rows_read_by_full_scans() const override { return full_scan_rows_.load(); }

  // A statement on its own commits by itself: no BEGIN, no COMMIT, and a
  // read takes no write lock. Another process holding the file is waited
  // for by the busy timeout.
  SqlResult run_statement(const std::string& sql, const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mutex_);
    try {
      return run(sql, params);
    } catch (const TransientFailure& error) {
      throw StoreUnavailable("the database file " + path_ + " stayed locked: " + error.what());
    }
  }

  void transact(const std::function<void(SqlSession&)>& work) override {
    std::lock_guard lock(mutex_);
    const auto give_up_at = std::chrono::steady_clock::now() + options_.retry_budget;
    auto pause = std::chrono::milliseconds{5};
    for (;;) {
      try {
        // IMMEDIATE takes the write lock up front, so two processes never
        // deadlock upgrading a read transaction to a write.
        run(options_.read_only ? "BEGIN" : "BEGIN IMMEDIATE");
      } catch (const TransientFailure& error) {
        if (std::chrono::steady_clock::now() >= give_up_at) {
          throw StoreUnavailable("the database file " + path_ + " stayed locked: " + error.what());
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds{200});
        continue;
      }
      try {
        work(*this);
        run("COMMIT");
        return;
      } catch (const TransientFailure& error) {
        rollback();
        if (std::chrono::steady_clock::now() >= give_up_at) {
          throw StoreUnavailable("the database file " + path_ + " stayed locked: " + error.what());
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds{200});
      } catch (...) {
        rollback();
        throw;
      }
    }
  }

 private:
  // A page damaged past the schema is found only when a statement reads it:
  // a bot would start, answer, write to the file and fail days later. One
  // pass over every page (without the slower cross-check of each index
  // against its table) finds it now, before anything is written.
  void refuse_if_damaged() {
    std::string report;
    try {
      const SqlResult checked = run("PRAGMA quick_check(1)");
      report = checked.rows.empty() ? "no answer" : checked.rows.front().text(0);
    } catch (const TransientFailure& error) {
      refuse("the database file " + path_ + " stayed locked: " + error.what());
    } catch (const StoreError& error) {
      report = error.what();
    }
    if (report == "ok") return;
    // .dump ends with a ROLLBACK when it met damage, which would undo the
    // whole copy; read-only, it copies no log back into the file. (.recover
    // saves more, but Debian's sqlite3 lacks the sqlite_dbpage table it
    // needs.)
    const std::string file = shell_quoted(path_);
    refuse("the database file " + path_ + " is damaged (" + first_problem(report) +
           "). It was left untouched. Restore the last backup, or copy what can still be read "
           "into a new file with: sqlite3 -readonly " +
           file + " .dump | sed 's/^ROLLBACK; -- due to errors$/COMMIT;/' | sqlite3 " + file +
           ".recovered, then point --db at the new file.");
  }

  // A path as one shell word, for a command the operator copies.
  static std::string shell_quoted(const std::string& path) {
    const bool plain = std::all_of(path.begin(), path.end(), [](unsigned char c) {
      return std::isalnum(c) || std::string_view("_./+:@%-").find(c) != std::string_view::npos;
    });
    if (plain && !path.empty()) return path;
    std::string quoted = "'";
    for (const char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
  }

  // quick_check's first line that names a problem rather than the database
  // it is in, cut short for a log line.
  static std::string first_problem(const std::string& report) {
    constexpr std::size_t kLimit = 200;
    std::istringstream lines(report);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.rfind("*** in database", 0) != 0) break;
    }
    if (line.empty()) line = report;
    return line.size() > kLimit ? line.substr(0, kLimit) + "..." : line;
  }

  // Closes the file and throws. Closing does not copy a log left by an
  // earlier run back into the file it refuses: that file stays as it was.
  // An empty log is removed as usual.
  [[noreturn]] void refuse(const std::string& why) {
    if (db_ && wal_file_bytes() > 0)
      sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    close();
    throw DatabaseOpenError(why);
  }

  static std::string checked_synchronous(const std::string& level) {
    if (level == "OFF" || level == "NORMAL" || level == "FULL" || level == "EXTRA") return level;
    throw StoreError("store.sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA, not " + level);
  }

  SqlResult run(const std::string& sql, const std::vector<SqlValue>& params = {}) override {
    sqlite3_stmt* statement = prepared(sql);
    // Leave the statement reset and unbound whatever happens, so the cache
    // never holds a statement mid-step.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{statement};

    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const SqlValue& value = params[i];
      int bound = SQLITE_OK;
      if (const auto* n = std::get_if<std::int64_t>(&value)) {
        bound = sqlite3_bind_int64(statement, index, *n);
      } else if (const auto* d = std::get_if<double>(&value)) {
        bound = sqlite3_bind_double(statement, index, *d);
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        bound = sqlite3_bind_text(statement, index, s->data(), static_cast<int>(s->size()),
                                  SQLITE_TRANSIENT);
      } else {
        bound = sqlite3_bind_null(statement, index);
      }
      if (bound != SQLITE_OK) fail(bound);
    }

    SqlResult result;
    const int columns = sqlite3_column_count(statement);
    for (int c = 0; c < columns; ++c)
      result.columns.emplace_back(sqlite3_column_name(statement, c));
    for (;;) {
      const int stepped = sqlite3_step(statement);
      if (stepped == SQLITE_DONE) break;
      if (stepped != SQLITE_ROW) fail(stepped);
      SqlRow row;
      row.values.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(statement, c)) {
          case SQLITE_INTEGER:
            row.values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(statement, c)));
            break;
          case SQLITE_FLOAT:
            row.values.emplace_back(sqlite3_column_double(statement, c));
            break;
          case SQLITE_NULL:
            row.values.emplace_back(nullptr);
            break;
          default: {
            const auto* text = sqlite3_column_text(statement, c);
            row.values.emplace_back(
                std::string(reinterpret_cast<const char*>(text),
                            static_cast<std::size_t>(sqlite3_column_bytes(statement, c))));
          }
        }
      }
      result.rows.push_back(std::move(row));
    }
    result.affected = sqlite3_changes64(db_);
    full_scan_rows_ += static_cast<std::uint64_t>(
        sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1));
    return result;
  }

  void run_script(const std::string& sql) override {
    char* message = nullptr;
    const std::string text = expand_dialect(sql, Dialect::kSqlite);
    const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (code != SQLITE_OK) {
      const std::string reason = message ? message : sqlite3_errstr(code);
      sqlite3_free(message);
      throw_for(code, reason);
    }
  }

  sqlite3_stmt* prepared(const std::string& sql) {
    const auto found = statements_.find(sql);
    if (found != statements_.end()) return found->second;
    const std::string text = to_sqlite_parameters(expand_dialect(sql, Dialect::kSqlite));
    sqlite3_stmt* statement = nullptr;
    const int code = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                                        SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (code != SQLITE_OK) fail(code);
    statements_.emplace(sql, statement);
    return statement;
  }

  [[noreturn]] void fail(int code) { throw_for(code, sqlite3_errmsg(db_)); }

  [[noreturn]] static void throw_for(int code, const std::string& message) {
    const int primary = code & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw TransientFailure(message);
    throw StoreError(message);
  }

  void rollback() {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // Checkpoints (copying the WAL back into the database file, with an fsync)
  // would otherwise run inside whichever commit crosses the threshold and
  // stall that handler for milliseconds. A second connection does them on
  // its own thread; in WAL mode that blocks no reader and no writer. Should
  // that thread fall far behind, the writer checkpoints in line rather than
  // let the log grow; should it not start, SQLite's automatic checkpoint
  // stays on.
  void start_checkpointer() {
    if (path_ == ":memory:" || path_.empty()) return;
    sqlite3* checkpoint_db = open_checkpoint_connection();
    if (!checkpoint_db) return;  // automatic checkpoints stay on
    sqlite3_wal_autocheckpoint(db_, 0);
    sqlite3_wal_hook(
        db_,
        [](void* self, sqlite3* db, const char* schema, int pages) {
          if (pages >= kInlineCheckpointPages) {
            // The writer waits for the checkpointer's pass to end, then
            // copies the rest of the log itself, and the next write starts
            // it over: however slow the disk, the log stays bounded.
            auto* database = static_cast<SqliteDatabase*>(self);
            std::lock_guard pass(database->checkpoint_pass_);
            sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
          } else if (pages >= kCheckpointPages) {
            static_cast<SqliteDatabase*>(self)->checkpoint_due_.notify_one();
          }
          return SQLITE_OK;
        },
        this);
    checkpointer_ = std::thread([this, checkpoint_db] {
      std::unique_lock lock(checkpoint_mutex_);
      while (!stopping_) {
        checkpoint_due_.wait_for(lock, std::chrono::seconds{1});
        lock.unlock();
        checkpoint(checkpoint_db);
        // At most ten a second, however busy the writers are.
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
        lock.lock();
      }
      lock.unlock();
      sqlite3_close_v2(checkpoint_db);
    });
  }

  // A connection checkpoints only once it has read the database: before
  // that it does not know the file is in WAL mode, and a checkpoint on it
  // returns OK having done nothing. Returns null when it cannot checkpoint.
  sqlite3* open_checkpoint_connection() {
    sqlite3* connection = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      sqlite3_close_v2(connection);
      return nullptr;
    }
    sqlite3_busy_timeout(connection, 1000);
    int log_frames = -1;
    int copied_frames = -1;
    const bool ready =
        sqlite3_exec(connection, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) ==
            SQLITE_OK &&
        sqlite3_wal_checkpoint_v2(connection, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                  &copied_frames) == SQLITE_OK &&
        log_frames >= 0;  // -1: the connection is not in WAL mode
    if (!ready) {
      sqlite3_close_v2(connection);
      return nullptr;
    }
    return connection;
  }

  // A passive checkpoint waits for nobody, but while writers keep appending
  // it never catches up with them, and the log starts over only once it has
  // been copied back whole. So when the file has passed the limit, a
  // TRUNCATE checkpoint holds writers off for the few frames the passive
  // one left, and cuts the file to nothing.
  void checkpoint(sqlite3* connection) {
    std::lock_guard pass(checkpoint_pass_);
    if (sqlite3_wal_checkpoint_v2(connection, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                  nullptr) != SQLITE_OK) {
      return;
    }
    if (wal_file_bytes() > kWalSizeLimitBytes) {
      sqlite3_wal_checkpoint_v2(connection, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    }
  }

  long long wal_file_bytes() const {
    struct stat info {};
    return ::stat((path_ + "-wal").c_str(), &info) == 0 ? static_cast<long long>(info.st_size) : 0;
  }

  void stop_checkpointer() {
    {
      std::lock_guard lock(checkpoint_mutex_);
      stopping_ = true;
    }
    checkpoint_due_.notify_one();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  void close() {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
    statements_.clear();
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  const std::string path_;
  const DatabaseOptions options_;
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  std::atomic<std::uint64_t> full_scan_rows_{0};

  // SQLite's own default threshold for an automatic checkpoint wakes the
  // checkpointer; ten times that makes the writer checkpoint itself.
  static constexpr int kCheckpointPages = 1000;
  static constexpr int kInlineCheckpointPages = 10 * kCheckpointPages;
  // What the log file is cut back to once it has been copied back.
  static constexpr long long kWalSizeLimitBytes = 4LL * 1024 * 1024;
  std::mutex checkpoint_mutex_;
  // Held for one checkpoint, so a writer can wait for the checkpointer.
  std::mutex checkpoint_pass_;
  std::condition_variable checkpoint_due_;
  bool stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path, const DatabaseOptions& options) {
  if (path.empty()) throw DatabaseOpenError("no database file given (store.database is empty)");
  return std::make_unique<SqliteDatabase>(path, options);
}

}  // namespace ff::store
