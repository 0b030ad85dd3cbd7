// What only a SQLite file can suffer: a damaged file, a path that is not a
// file, a newer schema. Each is a clear error and the file is left as it was.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

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
    for (int i = 0; i < 200; ++i) store->first_time("E" + std::to_string(i));
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
