// Drives the real firstfollower binary over loopback with slash-command
// envelopes at a fixed rate and prints ack latency percentiles, throughput,
// replies counted, the bot's CPU time per envelope (user + system), its
// resident memory, and the size of its SQLite write-ahead log.
//
//   socket_mode_bench [--count K] [--rate R] [--rounds N] [--db URL] [--ops]
//                     [--peer bolt] [--peer-dir DIR]
//
// With --ops, the bot runs a second time with its ops listener on and a
// scraper reading /metrics ten times a second, and the bench prints both
// runs' ack latency and CPU per envelope, listener on over off.
//
// The bot keeps its state (durable dedupe among it) in a SQLite file in its
// own folder, or in the database --db names.
//
// With --peer bolt, a reference peer follows: the small Bolt-JS app in DIR
// (by default tests/bench/bolt of the source tree) answering /coach in its
// ack, run with node against a fresh fake Slack with the same load, measured
// the same way; the bench then prints Bolt's figures over ours. Without node,
// with a node older than Bolt needs, or without the app's node_modules, it
// says so in a line and skips the peer.
//
// Latency is measured by the fake Slack server: from handing the envelope to
// its socket to reading the ack, so it includes both ends' socket work.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

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

// The load every peer gets.
struct Load {
  std::size_t count = 20000;
  double rate = 2000;
  int rounds = 1;
};

// What one peer did under the load, over all its rounds.
struct PeerFigures {
  double start_ms = 0;  // spawn to its first open Socket Mode connection
  std::size_t acked = 0;
  double cpu_seconds = 0;  // user + system, children included
  std::vector<double> latencies_ms;
  long peak_kib = 0;  // VmHWM after the last round

  double cpu_us_per_envelope() const {
    return cpu_seconds * 1e6 / static_cast<double>(std::max<std::size_t>(acked, 1));
  }
};

constexpr auto kConnectTimeout = 15s;

// Until `process` has a Socket Mode connection open on `slack`; false when
// it exits first or the time is up.
bool wait_for_connection(const FakeSlack& slack, ChildProcess& process) {
  const auto deadline = Steady::now() + kConnectTimeout;
  while (!slack.wait_for_open_connections(1, 100ms)) {
    if (Steady::now() >= deadline || process.wait(0ms) != -1) return false;
  }
  return true;
}

// Waits for `process` to connect to `slack`, then runs the rounds, printing
// a line for each; `name` is what the lines call the process, `round_extra`
// adds to each line. Nothing when it did not connect in time.
std::optional<PeerFigures> load_peer(FakeSlack& slack, ChildProcess& process,
                                     Steady::time_point spawned, const std::string& name,
                                     const Load& load,
                                     const std::function<std::string()>& round_extra = {}) {
  if (!wait_for_connection(slack, process)) return std::nullopt;
  PeerFigures figures;
  figures.start_ms = std::chrono::duration<double, std::milli>(Steady::now() - spawned).count();
  const int connection = slack.open_connections().front();
  std::this_thread::sleep_for(500ms);
  const std::string pid = std::to_string(process.pid());
  std::printf("start to connected: %.1f ms\n", figures.start_ms);
  std::printf("resident memory idle: %.1f MiB\n", resident_kib(pid) / 1024.0);
  for (int round = 1; round <= load.rounds; ++round) {
    const double cpu_before = cpu_seconds(pid, true);
    const RoundResult r = run_round(slack, connection, load.count, load.rate);
    const double cpu_used = cpu_seconds(pid, true) - cpu_before;
    figures.acked += r.acked;
    figures.cpu_seconds += cpu_used;
    figures.latencies_ms.insert(figures.latencies_ms.end(), r.latencies_ms.begin(),
                                r.latencies_ms.end());
    std::printf(
        "round %d: %zu envelopes at %.0f/s: acked %zu, answered in ack %zu, throughput %.0f/s, "
        "ack latency p50 %.3f ms, p99 %.3f ms, max %.3f ms, %s CPU %.1f us/envelope, "
        "resident memory %.1f MiB (peak %.1f MiB)%s\n",
        round, r.sent, load.rate, r.acked, r.replies, static_cast<double>(r.acked) / r.seconds,
        percentile(r.latencies_ms, 0.50), percentile(r.latencies_ms, 0.99),
        percentile(r.latencies_ms, 1.0), name.c_str(),
        cpu_used * 1e6 / static_cast<double>(std::max<std::size_t>(r.acked, 1)),
        resident_kib(pid) / 1024.0, peak_resident_kib(pid) / 1024.0,
        round_extra ? round_extra().c_str() : "");
    std::fflush(stdout);
  }
  figures.peak_kib = peak_resident_kib(pid);
  return figures;
}

// The first executable `name` on PATH, or nothing.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream folders(path ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    const std::string candidate = (folder.empty() ? "." : folder) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// The first number in `text` ("v20.1.0", ">=20"), or -1.
int first_number(const std::string& text) {
  const auto at = text.find_first_of("0123456789");
  return at == std::string::npos ? -1 : std::atoi(text.c_str() + at);
}

// The installed @slack/bolt's package.json, or null.
nlohmann::json bolt_manifest(const std::string& app_dir) {
  std::ifstream file(app_dir + "/node_modules/@slack/bolt/package.json");
  auto manifest = nlohmann::json::parse(file, nullptr, false);
  return manifest.is_object() ? manifest : nlohmann::json();
}

// "what: ours 1.000 ms, Bolt 2.000 ms, Bolt/ours 2.00", or with other names.
void print_ratio(const char* what, const char* unit, double ours, double other,
                 const char* other_name = "Bolt", const char* ratio_name = "Bolt/ours") {
  std::printf("%s: ours %.3f %s, %s %.3f %s, %s %.2f\n", what, ours, unit, other_name, other, unit,
              ratio_name, ours > 0 ? other / ours : 0.0);
}

// A port nobody listens on now: the kernel's pick for a socket bound to 0.
int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

std::size_t discard(char*, std::size_t size, std::size_t count, void*) {
  return size * count;
}

// The HTTP status of a GET on loopback, or 0 when there was no answer.
long http_get_status(int port, const std::string& path) {
  CURL* curl = curl_easy_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  return status;
}

// The Bolt app against a fresh fake Slack, under the same load; prints its
// figures and the ratios to ours. Returns the bench's exit code.
int run_bolt_peer(const std::string& app_dir, const Load& load, const PeerFigures& ours) {
  const std::string node = find_on_path("node");
  if (node.empty()) {
    std::printf("peer Bolt skipped: no node on PATH (see tests/bench/bolt/README.md)\n");
    return 0;
  }
  const auto manifest = bolt_manifest(app_dir);
  if (manifest.is_null()) {
    std::printf("peer Bolt skipped: no %s/node_modules (run npm ci there)\n", app_dir.c_str());
    return 0;
  }
  ChildProcess version({"--version"}, {}, {}, node);
  version.wait(5s);
  std::string node_version = version.out();
  node_version.erase(node_version.find_last_not_of(" \n") + 1);
  const std::string bolt_version = manifest.value("version", "?");
  // An older node fails while loading Bolt, with an error that does not say why.
  const std::string needs = manifest.value("/engines/node"_json_pointer, std::string());
  if (first_number(node_version) < first_number(needs)) {
    std::printf("peer Bolt skipped: node %s is older than Bolt %s needs (%s)\n",
                node_version.c_str(), bolt_version.c_str(), needs.c_str());
    return 0;
  }
  std::printf("peer: Bolt %s on node %s (%s)\n", bolt_version.c_str(), node_version.c_str(),
              app_dir.c_str());

  FakeSlack slack;
  const auto spawned = Steady::now();
  ChildProcess bolt({app_dir + "/app.js"}, slack_environment(slack), {}, node);
  const auto figures = load_peer(slack, bolt, spawned, "Bolt", load);
  if (!figures) {
    std::fprintf(stderr, "the Bolt app exited or did not connect within %lld s\n%s",
                 static_cast<long long>(kConnectTimeout.count()), bolt.err().c_str());
    return 1;
  }
  bolt.signal(SIGTERM);
  std::printf("Bolt exit after SIGTERM: %d\n", bolt.wait(5s));

  std::printf("Bolt over ours, all %d rounds:\n", load.rounds);
  print_ratio("CPU per envelope", "us", ours.cpu_us_per_envelope(), figures->cpu_us_per_envelope());
  print_ratio("ack latency p99", "ms", percentile(ours.latencies_ms, 0.99),
              percentile(figures->latencies_ms, 0.99));
  print_ratio("peak resident memory", "MiB", ours.peak_kib / 1024.0, figures->peak_kib / 1024.0);
  print_ratio("start to connected", "ms", ours.start_ms, figures->start_ms);
  return 0;
}

// The bot under the load; with `ops_port`, its ops listener on and a
// scraper reading /metrics ten times a second meanwhile, as Prometheus
// would scrape a busy target. Nothing when it did not connect or stop.
std::optional<PeerFigures> run_bot(const std::string& database, const Load& load,
                                   int ops_port = 0) {
  FakeSlack slack;
  const auto spawned = Steady::now();
  auto environment = slack_environment(slack);
  environment["FIRSTFOLLOWER_BOT_LOG_LEVEL"] = "warn";
  if (!database.empty()) environment["FIRSTFOLLOWER_DB"] = database;
  if (ops_port != 0) {
    environment["FIRSTFOLLOWER_OPS_LISTEN"] = "127.0.0.1:" + std::to_string(ops_port);
  }
  ChildProcess bot({}, environment);
  const std::string db_file = bot.folder() + "/firstfollower.db";
  std::printf("state: %s%s\n", database.empty() ? "SQLite file" : "--db",
              ops_port != 0 ? ", ops listener on, /metrics scraped 10 times a second" : "");
  const auto wal = [&] {
    char text[80];
    std::snprintf(text, sizeof text, ", WAL %.2f MiB, WAL index %.2f MiB",
                  file_bytes(db_file + "-wal") / 1048576.0,
                  file_bytes(db_file + "-shm") / 1048576.0);
    return std::string(text);
  };
  std::atomic<bool> scraping{ops_port != 0};
  std::atomic<int> scrapes{0};
  std::thread scraper;
  if (ops_port != 0) {
    scraper = std::thread([&] {
      while (scraping) {
        if (http_get_status(ops_port, "/metrics") == 200) ++scrapes;
        std::this_thread::sleep_for(100ms);
      }
    });
  }
  const auto figures = load_peer(slack, bot, spawned, "bot", load,
                                 database.empty() ? std::function<std::string()>(wal) : nullptr);
  scraping = false;
  if (scraper.joinable()) scraper.join();
  if (ops_port != 0) std::printf("scrapes answered: %d\n", scrapes.load());
  if (!figures) {
    std::fprintf(stderr, "the bot did not connect\n%s", bot.err().c_str());
    return std::nullopt;
  }
  bot.signal(SIGTERM);
  const int code = bot.wait(5s);
  std::printf("exit after SIGTERM: %d\n", code);
  if (code != 0) return std::nullopt;
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  Load load;
  std::string database;
  std::string peer;
  bool compare_ops = false;
  std::string peer_dir = std::string(FF_SOURCE_DIR) + "/tests/bench/bolt";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ops") == 0) compare_ops = true;
    if (i + 1 >= argc) continue;
    if (std::strcmp(argv[i], "--db") == 0) database = argv[i + 1];
    if (std::strcmp(argv[i], "--count") == 0) load.count = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--rate") == 0) load.rate = std::stod(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) load.rounds = std::stoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--peer") == 0) peer = argv[i + 1];
    if (std::strcmp(argv[i], "--peer-dir") == 0) peer_dir = argv[i + 1];
  }
  if (!peer.empty() && peer != "bolt") {
    std::fprintf(stderr, "unknown peer '%s': the one peer is bolt\n", peer.c_str());
    return 2;
  }

  const auto ours = run_bot(database, load);
  if (!ours) return 1;
  if (compare_ops) {
    const auto with_ops = run_bot(database, load, free_loopback_port());
    if (!with_ops) return 1;
    std::printf("listener on over off, all %d rounds:\n", load.rounds);
    print_ratio("ack latency p50", "ms", percentile(ours->latencies_ms, 0.50),
                percentile(with_ops->latencies_ms, 0.50), "on", "on/off");
    print_ratio("ack latency p99", "ms", percentile(ours->latencies_ms, 0.99),
                percentile(with_ops->latencies_ms, 0.99), "on", "on/off");
    print_ratio("CPU per envelope", "us", ours->cpu_us_per_envelope(),
                with_ops->cpu_us_per_envelope(), "on", "on/off");
  }
  return peer.empty() ? 0 : run_bolt_peer(peer_dir, load, *ours);
}
