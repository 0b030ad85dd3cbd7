#include "store/store_support.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace ff::testing {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

void execute(const std::string& url, const std::string& sql) {
  PGconn* connection = PQconnectdb(url.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    const std::string reason = PQerrorMessage(connection);
    PQfinish(connection);
    throw std::runtime_error("test cluster: " + reason);
  }
  PGresult* result = PQexec(connection, sql.c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  const std::string reason = PQerrorMessage(connection);
  PQclear(result);
  PQfinish(connection);
  if (!ok) throw std::runtime_error("test cluster: " + reason);
}

}  // namespace

void skip_test(const std::string& why) {
  std::cout << "SKIPPED: " << why << std::endl;
  std::_Exit(kSkipExitCode);
}

std::string require_postgres() {
  if (const char* url = std::getenv("FIRSTFOLLOWER_TEST_POSTGRES"); url && *url) return url;
  const std::string state = FF_POSTGRES_STATE;
  const std::string url = read_first_line(state + "/url");
  if (!url.empty()) return url;
  const std::string why = read_first_line(state + "/skipped");
  skip_test("PostgreSQL is not available: " +
            (why.empty() ? "the postgres_cluster fixture did not run" : why));
}

ScratchPostgresDatabase::ScratchPostgresDatabase() : admin_url_(require_postgres()) {
  static std::atomic<int> counter{0};
  name_ = "ff_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  execute(admin_url_, "CREATE DATABASE " + name_);
  const auto slash = admin_url_.rfind('/');
  url_ = admin_url_.substr(0, slash + 1) + name_;
}

ScratchPostgresDatabase::~ScratchPostgresDatabase() {
  try {
    execute(admin_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // A leftover database in a throwaway cluster harms nothing.
  }
}

std::string run_cluster_script(const std::string& action, const std::string& state) {
  const std::string command = std::string(FF_SOURCE_DIR) + "/tests/postgres/cluster.sh " + action +
                              " " + state + " >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("tests/postgres/cluster.sh " + action + " failed");
  }
  return read_first_line(state + "/url");
}

PostgresServer::PostgresServer() : state_(make_store_folder() + "/cluster") {
  url_ = run_cluster_script("start", state_);
  if (url_.empty()) {
    const std::string why = read_first_line(state_ + "/skipped");
    run_cluster_script("stop", state_);
    skip_test("PostgreSQL is not available: " + why);
  }
}

PostgresServer::~PostgresServer() {
  try {
    run_cluster_script("stop", state_);
  } catch (const std::exception&) {
  }
}

void PostgresServer::pause() {
  run_cluster_script("pause", state_);
}
void PostgresServer::resume() {
  run_cluster_script("resume", state_);
}

std::string make_store_folder() {
  char name[] = "/tmp/ff-store-XXXXXX";
  if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
  return name;
}

Sqlite::Sqlite() : folder(make_store_folder()) {
  url = folder + "/state.db";
}

Sqlite::~Sqlite() {
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
}

}  // namespace ff::testing
