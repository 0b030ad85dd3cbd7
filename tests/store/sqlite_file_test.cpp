// What only a SQLite file can suffer: a damaged file, a path that is not a
// file, a newer schema. Each is a clear error and the file is left as it was.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bot/store/migrations.hpp"
#include "integration/support.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::store;
using namespace ff::testing;

namespace {

std::string bytes_of(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream out;
  out << file.rdbuf();
  return out.str();
}

std::string open_error(const std::string& path, const DatabaseOptions& options = {}) {
  ManualClock clock;
  try {
    if (options.read_only) {
      open_database(path, options);
    } else {
      SqlStore::open(path, options, clock);
    }
  } catch (const DatabaseOpenError& error) {
    return error.what();
  }
  return {};
}

long long file_bytes(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<long long>(size);
}

constexpr std::size_t kPage = 4096;

// A store of many pages, closed cleanly: every page is in the file itself,
// none in a log beside it.
void fill(const std::string& path) {
  ManualClock clock;
  auto store = SqlStore::open(path, {}, clock);
  for (int i = 0; i < 3000; ++i) handled_once(*store, "E" + std::to_string(i));
}

// Overwrites the page in the middle of the file, as a bad sector or a torn
// copy would, and returns the file's bytes afterwards. SQLite's header and
// the schema are intact, so only reading that page shows the damage.
std::string damage_middle_page(const std::string& path) {
  std::string bytes = bytes_of(path);
  REQUIRE(bytes.size() >= 16 * kPage);
  const std::size_t at = bytes.size() / kPage / 2 * kPage;
  for (std::size_t i = 0; i < kPage; ++i) bytes[at + i] = static_cast<char>(i * 7);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return bytes;
}

}  // namespace

TEST_CASE("a file that is not a database is refused and left untouched") {
  Sqlite backend;
  const std::string garbage = "this is not a database\n" + std::string(5000, '\x7f');
  std::ofstream(backend.url, std::ios::binary) << garbage;
  const std::string error = open_error(backend.url);
  CHECK_THAT(error, Catch::Contains("cannot be read"));
  CHECK_THAT(error, Catch::Contains(backend.url));
  CHECK(bytes_of(backend.url) == garbage);
}

TEST_CASE("a database whose pages were overwritten is refused and left untouched") {
  Sqlite backend;
  {
    ManualClock clock;
    auto store = SqlStore::open(backend.url, {}, clock);
    for (int i = 0; i < 200; ++i) handled_once(*store, "E" + std::to_string(i));
  }
  // Keep SQLite's header, scribble over the schema page.
  std::string bytes = bytes_of(backend.url);
  REQUIRE(bytes.size() > 4096);
  for (std::size_t i = 100; i < 4096; ++i) bytes[i] = static_cast<char>(i * 7);
  std::ofstream(backend.url, std::ios::binary | std::ios::trunc) << bytes;
  const std::string error = open_error(backend.url);
  CHECK_THAT(error, Catch::Contains("cannot be read"));
  CHECK(bytes_of(backend.url) == bytes);
}

TEST_CASE("a database damaged in one page past its schema is refused before anything is written") {
  Sqlite backend;
  const std::string path = backend.folder + "/team's state.db";
  fill(path);
  const std::string damaged = damage_middle_page(path);
  const std::string error = open_error(path);
  CHECK_THAT(error, Catch::Contains("the database file " + path + " is damaged (Page "));
  CHECK_THAT(error, Catch::Contains("It was left untouched. Restore the last backup"));
  // The copying command, with the path quoted for the shell.
  const std::string quoted = "'" + backend.folder + "/team'\\''s state.db'";
  CHECK_THAT(error, Catch::Contains("sqlite3 -readonly " + quoted + " .dump | sed "));
  CHECK_THAT(error, Catch::Contains("| sqlite3 " + quoted + ".recovered, then point --db"));
  CHECK(error.size() < 700);  // quick_check's report is cut to its first problem
  CHECK(bytes_of(path) == damaged);
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  // Looking, as --check-config does, finds the same.
  DatabaseOptions look;
  look.read_only = true;
  CHECK(open_error(path, look) == error);
  CHECK(bytes_of(path) == damaged);
}

TEST_CASE("a damaged database's leftover write-ahead log is not copied into it when refused") {
  Sqlite backend;
  fill(backend.url);
  // A process that stopped without closing (a crash, kill -9) leaves its
  // last commits in the log beside the file.
  const pid_t writer = fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    try {
      ManualClock clock;
      auto store = SqlStore::open(backend.url, {}, clock);
      store->record_decision({0, "U0ALICE", "C1", "move the stand-up", "no", clock.now(), {}});
      std::_Exit(0);  // with the store still open
    } catch (...) {
      std::_Exit(1);
    }
  }
  int status = 0;
  REQUIRE(waitpid(writer, &status, 0) == writer);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(file_bytes(backend.url + "-wal") > 0);
  const std::string damaged = damage_middle_page(backend.url);
  const std::string log = bytes_of(backend.url + "-wal");
  CHECK_THAT(open_error(backend.url), Catch::Contains("is damaged"));
  CHECK(bytes_of(backend.url) == damaged);
  CHECK(bytes_of(backend.url + "-wal") == log);
}

TEST_CASE("binary: a database damaged in one page stops the bot with exit code 4 before Slack") {
  Sqlite backend;
  fill(backend.url);
  const std::string damaged = damage_middle_page(backend.url);
  FakeSlack slack;
  ChildProcess bot({"--db", backend.url}, slack_environment(slack));
  CHECK(bot.wait(10s) == 4);
  CHECK_THAT(bot.err(), Catch::Contains("the database file " + backend.url + " is damaged ("));
  CHECK_THAT(bot.err(), Catch::Contains("sqlite3 -readonly " + backend.url + " .dump"));
  CHECK(slack.calls("apps.connections.open").empty());
  CHECK(slack.calls("chat.postMessage").empty());

  ChildProcess check({"--check-config", "--db", backend.url}, {});
  CHECK(check.wait(10s) == 4);
  CHECK_THAT(check.out(), Catch::Contains("the database file " + backend.url + " is damaged ("));
  CHECK_THAT(check.out(), Catch::Contains("Restore the last backup"));
  CHECK_THAT(check.out(), !Catch::Contains("configuration OK"));
  CHECK(bytes_of(backend.url) == damaged);
}

TEST_CASE("binary: a healthy database of many pages starts and passes --check-config") {
  Sqlite backend;
  fill(backend.url);
  ChildProcess check({"--check-config", "--db", backend.url}, {});
  CHECK(check.wait(10s) == 0);
  CHECK_THAT(check.out(), Catch::Contains("configuration OK"));
  ChildProcess console({"--db", backend.url}, {}, "/coach\n");
  CHECK(console.wait(10s) == 0);
  CHECK_THAT(console.out(), Catch::Contains(":thought_balloon:"));
}

TEST_CASE("a path that cannot be opened as a file is a clear error") {
  Sqlite backend;
  std::filesystem::create_directory(backend.url);  // a folder where the file should be
  CHECK_THAT(open_error(backend.url), Catch::Contains(backend.url));
  CHECK_THAT(open_error(backend.folder + "/missing/folder/state.db"),
             Catch::Contains("cannot open the database file"));
}

TEST_CASE("a SQLite file of a newer schema keeps every byte") {
  Sqlite backend;
  {
    auto database = open_database(backend.url, {});
    migrate(*database);
    database->transact([](SqlSession& s) {
      s.run(
          "INSERT INTO schema_migrations (version, description, applied_at) VALUES (999, 'x', 0)");
    });
  }
  const std::string before = bytes_of(backend.url);
  CHECK_THAT(open_error(backend.url), Catch::Contains("newer than this firstfollower"));
  CHECK(bytes_of(backend.url) == before);
}

// Every process of the tests closes its database, and closing checkpoints:
// only a store written for a long time while open shows whether the log is
// copied back as it runs. Sizes are read from the files themselves.
TEST_CASE("the write-ahead log stays bounded while a store is written to for a long time") {
  Sqlite backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  const std::string wal = backend.url + "-wal";
  const std::string wal_index = backend.url + "-shm";
  constexpr int kWrites = 30000;  // unchecked, about 250 MB of log
  long long largest_wal = 0;
  long long largest_index = 0;
  for (int i = 0; i < kWrites; ++i) {
    handled_once(*store, "E" + std::to_string(i));
    if (i % 250 == 0) {
      largest_wal = std::max(largest_wal, file_bytes(wal));
      largest_index = std::max(largest_index, file_bytes(wal_index));
    }
  }
  INFO("largest WAL " << largest_wal << " bytes, largest WAL index " << largest_index << " bytes");
  // However far the checkpointer falls behind, the writer copies the log
  // back itself at 10,000 pages (about 40 MB).
  CHECK(largest_wal < 48LL * 1024 * 1024);
  CHECK(largest_index < 256LL * 1024);
  // The checkpointer copies the rest back and cuts the file to the limit.
  // It runs at least once a second; the wait is bounded.
  bool cut_back = false;
  for (int attempt = 0; attempt < 100 && !cut_back; ++attempt) {
    cut_back = file_bytes(wal) <= 4LL * 1024 * 1024;
    if (!cut_back) std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  CHECK(cut_back);
  // Nothing was lost to the checkpoints.
  CHECK_FALSE(handled_once(*store, "E0"));
  CHECK_FALSE(handled_once(*store, "E" + std::to_string(kWrites - 1)));
}
