// The nudge fan-out: many people's reflection nudges due in the same minute,
// sent by the real binary against the fake Slack with Slack's post limits on
// (one a second per channel, and a workspace-wide limit a quarter above the
// pace the bot is given). Prints how long the fan-out took and at what pace,
// whether each person got exactly one and none came early, what a storm of
// HTTP 429 (every post refused for 5 s, Retry-After the seconds left) midway
// cost, the bot's CPU per nudge (user + system), its resident memory, the
// ack latency of /coach while the fan-out runs next to the same figure idle,
// and the bot's CPU per idle hour afterwards.
//
//   build/tests/nudge_bench [--people 10000] [--storm-after 5000] [--pace 1200]
//       [--instances 1] [--db URL | --db postgres] [--idle-seconds 60]
// --storm-after as many as --people, or more: no storm. --pace is
// slack.bulk_posts_per_minute, per instance. --db postgres starts a
// throwaway cluster (or uses FIRSTFOLLOWER_TEST_POSTGRES); two instances
// need PostgreSQL.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>

#include "bench/bench_support.hpp"
#include "integration/support.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::testing;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using std::chrono::system_clock;

namespace {

std::string person(std::size_t i) {
  std::string digits = std::to_string(i);
  return "U0P" + std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits;
}

// Nudges the fake took (answered ok), by person.
std::map<std::string, int> nudges_by_person(const FakeSlack& slack) {
  std::map<std::string, int> sent;
  for (const auto& call : slack.calls("chat.postMessage")) {
    if (!call.answer.value("ok", false)) continue;
    if (call.body.find("nudge_snooze") == std::string::npos) continue;
    ++sent[call.json.value("channel", "")];
  }
  return sent;
}

// Sends on the bot's newest connection (it may have refreshed one), waiting
// for one to be open; the envelope id, or empty when none opened.
std::string send_command(FakeSlack& slack, const std::string& command, const std::string& text,
                         const std::string& user) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto open = slack.open_connections();
    if (!open.empty()) {
      try {
        return slack.send_slash_command(open.back(), command, text, true, {}, user);
      } catch (const std::runtime_error&) {
        // Closed between the two calls: the next one.
      }
    }
    slack.wait_for_open_connections(1, 100ms);
  }
  return {};
}

// Ack latencies (ms) of /coach sent at `rate` per second while `busy` holds,
// at most `limit` of them.
std::vector<double> coach_latencies(FakeSlack& slack, double rate,
                                    const std::function<bool()>& busy, std::size_t limit) {
  std::vector<std::string> ids;
  const auto gap = std::chrono::duration<double>(1.0 / rate);
  auto next = Steady::now();
  while (busy() && ids.size() < limit) {
    ids.push_back(send_command(slack, "/coach", "", "U0ALICE"));
    next += std::chrono::duration_cast<Steady::duration>(gap);
    std::this_thread::sleep_until(next);
  }
  std::vector<double> latencies;
  for (const auto& id : ids) {
    if (id.empty()) continue;
    slack.wait_for_ack(id, 10s);
    if (const auto latency = slack.ack_latency(id)) {
      latencies.push_back(std::chrono::duration<double, std::milli>(*latency).count());
    }
  }
  return latencies;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t people = 10000;
  std::size_t storm_after = 5000;
  int pace = 1200;
  int instances = 1;
  int idle_seconds = 60;
  std::string database;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--people") == 0) people = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--storm-after") == 0) storm_after = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--pace") == 0) pace = std::stoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--instances") == 0) instances = std::stoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--idle-seconds") == 0) idle_seconds = std::stoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--db") == 0) database = argv[i + 1];
  }
  std::unique_ptr<PostgresServer> cluster;
  if (database == "postgres") {
    const char* url = std::getenv("FIRSTFOLLOWER_TEST_POSTGRES");
    if (url != nullptr && *url != '\0') {
      database = url;
    } else {
      cluster = std::make_unique<PostgresServer>();
      database = cluster->url();
    }
  }
  if (instances > 1 && database.rfind("postgres", 0) != 0) {
    std::fprintf(stderr, "several instances share PostgreSQL only: add --db postgres\n");
    return 2;
  }
  // Their time zones are in the bot's cache already, as they would be for
  // people who have used it: setting 10,000 schedules does not wait on
  // 10,000 users.info calls (Slack allows about 100 a minute).
  if (database.empty()) database = make_temp_folder() + "/nudges.db";
  {
    auto store = store::SqlStore::open(database, {}, SystemClock::instance());
    for (std::size_t i = 0; i < people; ++i) {
      store->put_profile({person(i), "UTC", 0, person(i), system_clock::now()});
    }
  }
  FakeSlack slack;
  PostLimits limits;
  limits.workspace_per_minute = pace * instances * 5 / 4;
  slack.enforce_post_limits(limits);
  auto environment = slack_environment(slack);
  environment["FIRSTFOLLOWER_BOT_LOG_LEVEL"] = "warn";
  environment["FIRSTFOLLOWER_DB"] = database;
  environment["FIRSTFOLLOWER_SLACK_BULK_POSTS_PER_MINUTE"] = std::to_string(pace);
  // Quiet hours off, so the minute may be any minute.
  std::vector<std::unique_ptr<ChildProcess>> bots;
  for (int i = 0; i < instances; ++i) {
    bots.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{"--set", "nudges.quiet_hours=00:00-00:00", "--set",
                                 "nudges.respect_do_not_disturb=false"},
        environment));
    const auto connect_deadline = Steady::now() + 15s;
    while (!slack.wait_for_open_connections(static_cast<std::size_t>(i) + 1, 100ms)) {
      if (Steady::now() > connect_deadline || bots.back()->wait(0ms) != -1) {
        std::fprintf(stderr, "the bot did not connect; its log:\n%s\n", bots.back()->err().c_str());
        return 1;
      }
    }
  }
  // CPU and memory of all the instances together.
  const auto cpu_of_bots = [&bots] {
    double seconds = 0;
    for (const auto& bot : bots) seconds += cpu_seconds(std::to_string(bot->pid()));
    return seconds;
  };
  const auto memory_of_bots = [&bots](bool peak) {
    double kib = 0;
    for (const auto& bot : bots) {
      const std::string pid = std::to_string(bot->pid());
      kib += peak ? peak_resident_kib(pid) : resident_kib(pid);
    }
    return kib / 1024.0;
  };

  // The minute they all fall due: far enough ahead to set them all up.
  const auto setup_time = std::chrono::seconds{30 + static_cast<long>(people / 400)};
  const auto due = std::chrono::ceil<std::chrono::minutes>(system_clock::now() + setup_time);
  const long minutes_of_day = static_cast<long>(
      std::chrono::duration_cast<std::chrono::minutes>(due.time_since_epoch()).count() % (24 * 60));
  char rule[32];
  std::snprintf(rule, sizeof rule, "daily %02ld:%02ld", minutes_of_day / 60, minutes_of_day % 60);
  std::printf(
      "%zu people, each: /nudges %s (UTC); %d instance(s) on %s, each pacing bulk posts at "
      "%d a minute; the fake allows %d a minute in all, and one a second per channel\n",
      people, rule, instances, database.rfind("postgres", 0) == 0 ? "PostgreSQL" : "SQLite", pace,
      limits.workspace_per_minute);

  const auto setup_start = Steady::now();
  std::vector<std::string> commands;
  // As people would: 500 a second, about half what the bot answers on two
  // cores, so none waits in its queue. Sent all at once, a hundred thousand
  // commands would measure the queue of a burst no workspace sends (about a
  // kilobyte an envelope), not what the people cost.
  constexpr int kCommandsPerSecond = 500;
  for (std::size_t i = 0; i < people; ++i) {
    if (i % 50 == 0)
      std::this_thread::sleep_until(setup_start +
                                    std::chrono::microseconds{i * 1'000'000 / kCommandsPerSecond});
    commands.push_back(send_command(slack, "/nudges", rule, person(i)));
  }
  // Set means answered: in the ack, or (past the ack deadline) through the
  // command's response_url.
  for (const auto& id : commands) {
    if (!id.empty()) slack.wait_for_ack(id, 30s);
  }
  std::size_t set = 0;
  std::size_t in_ack = 0;
  for (int wait = 0; wait < 600; ++wait) {
    std::set<std::string> answered;
    for (const auto& call : slack.calls("response_url")) answered.insert(call.path.substr(10));
    set = 0;
    in_ack = 0;
    for (const auto& id : commands) {
      const auto acks = slack.acks(id);
      const bool in_its_ack = !acks.empty() && acks.front().contains("payload");
      in_ack += in_its_ack ? 1 : 0;
      set += in_its_ack || answered.count(id) ? 1 : 0;
    }
    if (set == people) break;
    std::this_thread::sleep_for(100ms);
  }
  std::printf(
      "schedules set: %zu of %zu in %.1f s (%zu answered in their ack); resident memory "
      "%.1f MiB\n",
      set, people, std::chrono::duration<double>(Steady::now() - setup_start).count(), in_ack,
      memory_of_bots(false));
  if (system_clock::now() > due - 5s) {
    std::fprintf(stderr, "setting up took past the minute; try fewer --people\n");
    return 1;
  }

  // /coach alone first: its ack latency idle, and its own CPU cost, which is
  // taken out of the fan-out's figure below.
  const double idle_cpu_before = cpu_of_bots();
  const auto idle = coach_latencies(
      slack, 50, [&] { return system_clock::now() < due - 15s; }, 500);
  const double cpu_per_coach = (cpu_of_bots() - idle_cpu_before) /
                               static_cast<double>(std::max<std::size_t>(idle.size(), 1));
  std::printf("/coach ack idle: p50 %.2f ms, p99 %.2f ms (%zu), bot CPU %.0f us each\n",
              percentile(idle, 0.5), percentile(idle, 0.99), idle.size(), cpu_per_coach * 1e6);
  if (system_clock::now() > due - 2s) {
    std::fprintf(stderr, "the idle phase ran past the minute; try fewer --people\n");
    return 1;
  }
  std::this_thread::sleep_until(due - 1s);
  const std::size_t early = nudges_by_person(slack).size();
  const std::size_t refused_before = slack.rate_limited_answers("chat.postMessage");

  const double cpu_before = cpu_of_bots();
  std::this_thread::sleep_until(due);
  const auto fan_out_start = Steady::now();
  std::size_t sent = 0;
  double all_sent_s = -1;
  double storm_at_s = -1;
  std::size_t refused_in_storm = 0;
  // Twice the time the pace allows, and two minutes more.
  const auto allowed = std::chrono::seconds{
      120 + static_cast<long>(2 * 60 * people / static_cast<std::size_t>(pace * instances))};
  const auto deadline = fan_out_start + allowed;
  std::thread watcher([&] {
    std::size_t refused_at_storm = 0;
    while (Steady::now() < deadline) {
      sent = nudges_by_person(slack).size();
      const double now_s = std::chrono::duration<double>(Steady::now() - fan_out_start).count();
      if (storm_at_s < 0 && sent >= storm_after && storm_after < people) {
        storm_at_s = now_s;
        refused_at_storm = slack.rate_limited_answers("chat.postMessage");
        slack.rate_limit_for("chat.postMessage", 5s);
      }
      if (storm_at_s >= 0 && refused_in_storm == 0 && now_s > storm_at_s + 5.5) {
        refused_in_storm = slack.rate_limited_answers("chat.postMessage") - refused_at_storm;
      }
      if (sent >= people) {
        all_sent_s = now_s;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
  });
  const auto busy = coach_latencies(
      slack, 20, [&] { return all_sent_s < 0 && Steady::now() < deadline; }, 100000);
  watcher.join();
  const double cpu_used = cpu_of_bots() - cpu_before;
  std::this_thread::sleep_for(2s);  // a late duplicate would show by now

  const auto by_person = nudges_by_person(slack);
  std::size_t once = 0, more = 0;
  for (const auto& [who, n] : by_person) (n == 1 ? once : more) += 1;
  const std::size_t refused = slack.rate_limited_answers("chat.postMessage") - refused_before;
  std::printf("nudges before their minute: %zu\n", early);
  std::printf("fan-out: %zu of %zu people got theirs%s; %zu once, %zu more than once\n",
              by_person.size(), people, all_sent_s < 0 ? " (not all in the time allowed)" : "",
              once, more);
  if (all_sent_s >= 0) {
    std::printf("all sent %.1f s after the minute: %.0f nudges a minute (paced at %d a minute)\n",
                all_sent_s, 60.0 * static_cast<double>(people) / all_sent_s, pace * instances);
  }
  if (storm_at_s >= 0) {
    std::printf("429 storm of 5 s from %.1f s: %zu posts answered 429 in it, %zu outside it\n",
                storm_at_s, refused_in_storm, refused - refused_in_storm);
  } else {
    std::printf("posts answered 429 (no storm): %zu\n", refused);
  }
  const double nudge_cpu =
      std::max(0.0, cpu_used - cpu_per_coach * static_cast<double>(busy.size()));
  std::printf(
      "bot CPU during the fan-out: %.2f s; less the /coach sent meanwhile, %.2f s: %.0f us per "
      "nudge (user + system)\n",
      cpu_used, nudge_cpu,
      nudge_cpu * 1e6 / static_cast<double>(std::max<std::size_t>(by_person.size(), 1)));
  std::printf("/coach ack during the fan-out: p50 %.2f ms, p99 %.2f ms (%zu); idle p99 %.2f ms\n",
              percentile(busy, 0.5), percentile(busy, 0.99), busy.size(), percentile(idle, 0.99));
  std::printf("resident memory: %.1f MiB now, %.1f MiB peak\n", memory_of_bots(false),
              memory_of_bots(true));
  if (idle_seconds > 0) {
    // Nothing due and nothing arriving: what the bot costs while it waits.
    const double idle_before = cpu_of_bots();
    std::this_thread::sleep_for(std::chrono::seconds{idle_seconds});
    const double idle_used = cpu_of_bots() - idle_before;
    std::printf("idle afterwards for %d s: bot CPU %.3f s, %.1f s per idle hour; memory %.1f MiB\n",
                idle_seconds, idle_used, idle_used * 3600.0 / idle_seconds, memory_of_bots(false));
  }
  for (auto& bot : bots) bot->signal(SIGTERM);
  for (auto& bot : bots) bot->wait(10s);
  return more == 0 && early == 0 && by_person.size() == people ? 0 : 1;
}
