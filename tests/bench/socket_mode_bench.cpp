// Drives the real firstfollower binary over loopback with slash-command
// envelopes at a fixed rate and prints ack latency percentiles, throughput,
// replies counted, the bot's CPU time per envelope (user + system), its
// resident memory, and the size of its SQLite write-ahead log.
//
//   socket_mode_bench [--count K] [--rate R] [--rounds N] [--db URL]
//
// The bot keeps its state (durable dedupe among it) in a SQLite file in its
// own folder, or in the database --db names.
//
// Latency is measured by the fake Slack server: from handing the envelope to
// its socket to reading the ack, so it includes both ends' socket work.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "integration/support.hpp"

using namespace ff;
using namespace ff::testing;
using Steady = std::chrono::steady_clock;

namespace {

struct RoundResult {
  std::size_t sent = 0;
  std::size_t acked = 0;
  std::size_t replies = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

RoundResult run_round(FakeSlack& slack, int connection, std::size_t count, double rate) {
  RoundResult r;
  std::vector<std::string> ids;
  ids.reserve(count);
  const auto start = Steady::now();
  // Sent in 1 ms slices, each slice in one batch, so high rates are not
  // limited by the sender's own overhead.
  const double per_slice = rate / 1000.0;
  for (std::size_t slice = 0; ids.size() < count; ++slice) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(slice));
    const auto target =
        std::min(count, static_cast<std::size_t>(per_slice * static_cast<double>(slice + 1)));
    if (target > ids.size()) {
      for (auto& id : slack.send_slash_commands(connection, target - ids.size()))
        ids.push_back(std::move(id));
    }
  }
  r.sent = ids.size();
  const auto deadline = Steady::now() + 30s;
  for (const auto& id : ids) {
    if (!slack.wait_for_ack(id, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::max(deadline - Steady::now(), Steady::duration{0})))) {
      continue;
    }
    ++r.acked;
    const auto acks = slack.acks(id);
    for (const auto& a : acks) r.replies += a.contains("payload") ? 1 : 0;
    if (const auto latency = slack.ack_latency(id))
      r.latencies_ms.push_back(latency->count() / 1e6);
  }
  r.seconds = std::chrono::duration<double>(Steady::now() - start).count();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 20000;
  double rate = 2000;
  int rounds = 1;
  std::string database;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--db") == 0) database = argv[i + 1];
    if (std::strcmp(argv[i], "--count") == 0) count = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--rate") == 0) rate = std::stod(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::stoi(argv[i + 1]);
  }

  FakeSlack slack;
  const auto spawned = Steady::now();
  auto environment = slack_environment(slack);
  environment["FIRSTFOLLOWER_BOT_LOG_LEVEL"] = "warn";
  if (!database.empty()) environment["FIRSTFOLLOWER_DB"] = database;
  ChildProcess bot({}, environment);
  if (!slack.wait_for_open_connections(1, 10s)) {
    std::fprintf(stderr, "the bot did not connect\n%s", bot.err().c_str());
    return 1;
  }
  const double connect_ms =
      std::chrono::duration<double, std::milli>(Steady::now() - spawned).count();
  const int connection = slack.open_connections().front();
  std::this_thread::sleep_for(500ms);
  const long idle_kib = resident_kib(std::to_string(bot.pid()));

  const std::string pid = std::to_string(bot.pid());
  const std::string db_file = bot.folder() + "/firstfollower.db";
  std::printf("state: %s\n", database.empty() ? "SQLite file" : "--db");
  std::printf("start to connected: %.1f ms\n", connect_ms);
  std::printf("resident memory idle: %.1f MiB\n", idle_kib / 1024.0);
  for (int round = 1; round <= rounds; ++round) {
    const double cpu_before = cpu_seconds(pid);
    const RoundResult r = run_round(slack, connection, count, rate);
    const double cpu_used = cpu_seconds(pid) - cpu_before;
    std::printf(
        "round %d: %zu envelopes at %.0f/s: acked %zu, answered in ack %zu, throughput %.0f/s, "
        "ack latency p50 %.3f ms, p99 %.3f ms, max %.3f ms, bot CPU %.1f us/envelope, "
        "resident memory %.1f MiB (peak %.1f MiB)",
        round, r.sent, rate, r.acked, r.replies, static_cast<double>(r.acked) / r.seconds,
        percentile(r.latencies_ms, 0.50), percentile(r.latencies_ms, 0.99),
        percentile(r.latencies_ms, 1.0),
        cpu_used * 1e6 / static_cast<double>(std::max<std::size_t>(r.acked, 1)),
        resident_kib(pid) / 1024.0, peak_resident_kib(pid) / 1024.0);
    if (database.empty()) {
      std::printf(", WAL %.2f MiB, WAL index %.2f MiB", file_bytes(db_file + "-wal") / 1048576.0,
                  file_bytes(db_file + "-shm") / 1048576.0);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  bot.signal(SIGTERM);
  const int code = bot.wait(5s);
  std::printf("exit after SIGTERM: %d\n", code);
  return code == 0 ? 0 : 1;
}
