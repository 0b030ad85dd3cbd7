// What only a SQLite file can suffer: a damaged file, a path that is not a
// file, a newer schema. Each is a clear error and the file is left as it was.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bot/store/migrations.hpp"
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

std::string open_error(const std::string& path) {
  ManualClock clock;
  try {
    SqlStore::open(path, {}, clock);
  } catch (const DatabaseOpenError& error) {
    return error.what();
  }
  return {};
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

namespace {
long long file_bytes(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<long long>(size);
}
}  // namespace

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
