#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bot/clock.hpp"
#include "bot/store/stores.hpp"

namespace ff::testing {

// CTest's exit code for "skipped" (SKIP_RETURN_CODE): tests that need
// PostgreSQL where it is not installed report themselves skipped, never passed.
inline constexpr int kSkipExitCode = 77;
[[noreturn]] void skip_test(const std::string& why);

// The URL of the test cluster started by the CTest fixture (or given in
// FIRSTFOLLOWER_TEST_POSTGRES); the test is skipped when there is none.
std::string require_postgres();

// A new, empty database on the test cluster, dropped afterwards.
class ScratchPostgresDatabase {
 public:
  ScratchPostgresDatabase();
  ~ScratchPostgresDatabase();
  const std::string& url() const { return url_; }

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// A private cluster a test may stop and start (an outage), through
// tests/postgres/cluster.sh. Skips the test when PostgreSQL is not installed.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  const std::string& url() const { return url_; }
  void pause();   // the server goes away
  void resume();  // and comes back on the same port

 private:
  std::string state_;
  std::string url_;
};

// Records an envelope in the inbox and marks it handled in the same batch,
// as a bot that handled it at once would: true when it was new.
inline bool handled_once(store::InboxStore& inbox, const std::string& envelope_id,
                         store::TimePoint at = {}, const std::string& event_id = {}) {
  const auto fresh = inbox.commit_inbox_batch({InboxEntry{envelope_id, event_id, "{}"}},
                                              {envelope_id}, "test", at, at);
  return !fresh.empty();
}

// The two back ends, for TEMPLATE_TEST_CASE: each gives a fresh database.
struct Sqlite {
  Sqlite();
  ~Sqlite();
  std::string url;
  std::string folder;
};

struct Postgres {
  ScratchPostgresDatabase database;
  std::string url = database.url();
};

std::string make_store_folder();
std::string run_cluster_script(const std::string& action, const std::string& state);

}  // namespace ff::testing
