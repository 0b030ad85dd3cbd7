// Measures the store on both back ends and prints figures:
//   - inbox writes of one handled envelope per second (one thread, then two
//     instances);
//   - job claims per second by two instances, each claim a transaction,
//     checking that no job was claimed twice;
//   - with 1,000,000 pending jobs: time to find and claim the next due batch,
//     and this process's resident memory.
//
//   store_bench [--backend sqlite|postgresql|both] [--postgres URL] [--dedupe N]
//               [--claims N] [--pending N]
//
// Without --postgres (or FIRSTFOLLOWER_TEST_POSTGRES) a throwaway cluster is
// started with tests/postgres/cluster.sh.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "bench/bench_support.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::store;
using namespace ff::testing;
using Steady = std::chrono::steady_clock;

namespace {

double millis_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

void dedupe_figures(const std::string& url, int count) {
  ManualClock clock;
  auto one = SqlStore::open(url, {}, clock);
  std::vector<double> latencies;
  latencies.reserve(static_cast<std::size_t>(count));
  const auto start = Steady::now();
  for (int i = 0; i < count; ++i) {
    const auto t = Steady::now();
    handled_once(*one, "E-bench-" + std::to_string(i));
    latencies.push_back(millis_since(t));
  }
  const double seconds = millis_since(start) / 1000;
  std::printf(
      "  inbox write of one envelope, handled, 1 thread: %.0f/s (p50 %.3f ms, p99 %.3f ms)\n",
      count / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99));

  auto two = SqlStore::open(url, {}, clock);
  std::atomic<int> firsts{0};
  auto insert = [&](SqlStore& store) {
    for (int i = 0; i < count; ++i) {
      if (handled_once(store, "E-race-" + std::to_string(i))) ++firsts;
    }
  };
  const auto race = Steady::now();
  std::thread a([&] { insert(*one); });
  std::thread b([&] { insert(*two); });
  a.join();
  b.join();
  std::printf(
      "  inbox, 2 instances racing over the same %d ids: %.0f checks/s, %d let through "
      "(expected %d)\n",
      count, 2.0 * count / (millis_since(race) / 1000), firsts.load(), count);
}

void claim_figures(const std::string& url, int count) {
  ManualClock clock;
  auto one = SqlStore::open(url, {}, clock);
  auto two = SqlStore::open(url, {}, clock);
  one->database().transact([&](SqlSession& s) {
    for (int i = 0; i < count; ++i) {
      s.run(
          "INSERT INTO jobs (kind, payload, due_at, grace_until, delivery, state, created_at) "
          "VALUES ('bench', '{}', $1, $2, 'at_most_once', 'pending', 0)",
          {to_millis(clock.now()), to_millis(clock.now()) + 3'600'000});
    }
  });
  for (int batch : {1, 25}) {
    std::vector<std::int64_t> taken_one, taken_two;
    auto drain = [&](SqlStore& store, std::vector<std::int64_t>& taken, const char* owner) {
      for (;;) {
        const auto claimed =
            store.jobs().claim_due(clock.now(), batch, std::chrono::minutes{1}, owner);
        if (claimed.due.empty()) return;
        for (const auto& job : claimed.due) {
          taken.push_back(job.id);
          store.jobs().finish(job.id, owner, "done", "", clock.now());
        }
      }
    };
    // Half the jobs per batch size: put the finished ones back to pending.
    one->database().transact([](SqlSession& s) {
      s.run("UPDATE jobs SET state = 'pending', owner = NULL, finished_at = NULL");
    });
    const auto start = Steady::now();
    std::thread a([&] { drain(*one, taken_one, "one"); });
    std::thread b([&] { drain(*two, taken_two, "two"); });
    a.join();
    b.join();
    const double seconds = millis_since(start) / 1000;
    std::set<std::int64_t> unique(taken_one.begin(), taken_one.end());
    unique.insert(taken_two.begin(), taken_two.end());
    std::printf(
        "  job claim + finish, 2 instances, batch %d: %.0f jobs/s (%zu + %zu claimed, %zu "
        "distinct of %d, claimed twice: %zu)\n",
        batch, count / seconds, taken_one.size(), taken_two.size(), unique.size(), count,
        taken_one.size() + taken_two.size() - unique.size());
  }
}

void pending_figures(const std::string& url, int pending) {
  ManualClock clock;
  const long rss_before = resident_kib();
  auto store = SqlStore::open(url, {}, clock);
  const auto now = to_millis(clock.now());
  const auto fill = Steady::now();
  // Spread over the next 30 days, in one statement so filling takes seconds.
  const std::string numbers =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) ";
  store->database().transact([&](SqlSession& s) {
    s.run(store->database().dialect() == Dialect::kSqlite
              ? numbers +
                    "INSERT INTO jobs (kind, payload, due_at, grace_until, delivery, state, "
                    "created_at) SELECT 'bench', '{}', $2 + (i * 2592) % 2592000000, "
                    "$2 + 2592000000 + 3600000, 'at_most_once', 'pending', 0 FROM n"
              : "INSERT INTO jobs (kind, payload, due_at, grace_until, delivery, state, "
                "created_at) SELECT 'bench', '{}', $2 + (i::bigint * 2592) % 2592000000, "
                "$2 + 2592000000 + 3600000, 'at_most_once', 'pending', 0 "
                "FROM generate_series(1, $1) AS i",
          {std::int64_t{pending}, now + 60'000});
  });
  if (store->database().dialect() == Dialect::kPostgres) {
    store->database().transact([](SqlSession& s) { s.run("ANALYZE jobs"); });
  }
  std::printf("  %d pending jobs written in %.1f s\n", pending, millis_since(fill) / 1000);

  std::vector<double> claim_ms, next_ms;
  for (int round = 0; round < 50; ++round) {
    clock.advance(std::chrono::minutes{1});
    const auto t = Steady::now();
    const auto claimed = store->jobs().claim_due(clock.now(), 100, std::chrono::minutes{1}, "b");
    claim_ms.push_back(millis_since(t));
    for (const auto& job : claimed.due) {
      store->jobs().finish(job.id, "b", "done", "", clock.now());
    }
    const auto n = Steady::now();
    store->jobs().next_due();
    next_ms.push_back(millis_since(n));
  }
  std::printf(
      "  with %d pending: claim next due batch (about 23 jobs a minute of due time) "
      "p50 %.2f ms, p99 %.2f ms; next due time p50 %.2f ms\n",
      pending, percentile(claim_ms, 0.5), percentile(claim_ms, 0.99), percentile(next_ms, 0.5));
  std::printf("  resident memory of this process: %.1f MiB before opening, %.1f MiB after\n",
              rss_before / 1024.0, resident_kib() / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::string backend = "both";
  std::string postgres;
  int dedupe = 50'000, claims = 20'000, pending = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--backend") == 0) backend = argv[i + 1];
    if (std::strcmp(argv[i], "--postgres") == 0) postgres = argv[i + 1];
    if (std::strcmp(argv[i], "--dedupe") == 0) dedupe = std::stoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--claims") == 0) claims = std::stoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--pending") == 0) pending = std::stoi(argv[i + 1]);
  }
  if (backend == "sqlite" || backend == "both") {
    std::printf("SQLite (WAL, synchronous=NORMAL):\n");
    Sqlite a, b, c;
    dedupe_figures(a.url, dedupe);
    claim_figures(b.url, claims);
    pending_figures(c.url, pending);
  }
  if (backend == "postgresql" || backend == "both") {
    std::unique_ptr<PostgresServer> server;
    if (postgres.empty()) {
      if (const char* url = std::getenv("FIRSTFOLLOWER_TEST_POSTGRES")) postgres = url;
    }
    if (postgres.empty()) {
      server = std::make_unique<PostgresServer>();
      postgres = server->url();
      std::printf("PostgreSQL (throwaway cluster, fsync=off):\n");
    } else {
      std::printf("PostgreSQL (%s):\n", postgres.c_str());
    }
    setenv("FIRSTFOLLOWER_TEST_POSTGRES", postgres.c_str(), 1);
    {
      ScratchPostgresDatabase a;
      dedupe_figures(a.url(), dedupe);
    }
    {
      ScratchPostgresDatabase b;
      claim_figures(b.url(), claims);
    }
    {
      ScratchPostgresDatabase c;
      pending_figures(c.url(), pending);
    }
  }
  return 0;
}
