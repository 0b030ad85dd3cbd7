// The nudge fan-out: many people's reflection nudges due in the same minute,
// sent by the real binary against the fake Slack. Prints how long the
// fan-out took, whether each person got exactly one and none came early,
// what a burst of HTTP 429 (Retry-After 5 s) midway cost, the bot's CPU per
// nudge (user + system), its resident memory, and the ack latency of /coach
// while the fan-out runs next to the same figure idle.
//
//   build/tests/nudge_bench [--people 10000] [--storm-after 5000] [--db URL]
// (--storm-after as many as --people, or more: no storm)
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "bench/bench_support.hpp"
#include "integration/support.hpp"

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
  std::string database;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--people") == 0) people = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--storm-after") == 0) storm_after = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--db") == 0) database = argv[i + 1];
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
  auto environment = slack_environment(slack);
  environment["FIRSTFOLLOWER_BOT_LOG_LEVEL"] = "warn";
  environment["FIRSTFOLLOWER_DB"] = database;
  // Quiet hours off, so the minute may be any minute.
  ChildProcess bot(
      {"--set", "nudges.quiet_hours=00:00-00:00", "--set", "nudges.respect_do_not_disturb=false"},
      environment);
  const auto connect_deadline = Steady::now() + 15s;
  while (!slack.wait_for_open_connections(1, 100ms)) {
    if (Steady::now() > connect_deadline || bot.wait(0ms) != -1) {
      std::fprintf(stderr, "the bot did not connect; its log:\n%s\n", bot.err().c_str());
      return 1;
    }
  }
  const std::string pid = std::to_string(bot.pid());

  // The minute they all fall due: far enough ahead to set them all up.
  const auto setup_time = std::chrono::seconds{30 + static_cast<long>(people / 400)};
  const auto due = std::chrono::ceil<std::chrono::minutes>(system_clock::now() + setup_time);
  const long minutes_of_day = static_cast<long>(
      std::chrono::duration_cast<std::chrono::minutes>(due.time_since_epoch()).count() % (24 * 60));
  char rule[32];
  std::snprintf(rule, sizeof rule, "daily %02ld:%02ld", minutes_of_day / 60, minutes_of_day % 60);
  std::printf("%zu people, each: /nudges %s (UTC)\n", people, rule);

  const auto setup_start = Steady::now();
  std::vector<std::string> commands;
  for (std::size_t i = 0; i < people; ++i) {
    commands.push_back(send_command(slack, "/nudges", rule, person(i)));
    if (i % 200 == 199) std::this_thread::sleep_for(20ms);  // as people would, not all at once
  }
  // Set means answered: in the ack, or (past the ack deadline) through the
  // command's response_url.
  for (const auto& id : commands) {
    if (!id.empty()) slack.wait_for_ack(id, 30s);
  }
  std::size_t set = 0;
  for (int wait = 0; wait < 600; ++wait) {
    std::set<std::string> answered;
    for (const auto& call : slack.calls("response_url")) answered.insert(call.path.substr(10));
    set = 0;
    for (const auto& id : commands) {
      const auto acks = slack.acks(id);
      set += (!acks.empty() && acks.front().contains("payload")) || answered.count(id) ? 1 : 0;
    }
    if (set == people) break;
    std::this_thread::sleep_for(100ms);
  }
  std::printf("schedules set: %zu of %zu in %.1f s; resident memory %.1f MiB\n", set, people,
              std::chrono::duration<double>(Steady::now() - setup_start).count(),
              resident_kib(pid) / 1024.0);
  if (system_clock::now() > due - 5s) {
    std::fprintf(stderr, "setting up took past the minute; try fewer --people\n");
    return 1;
  }

  // /coach alone first: its ack latency idle, and its own CPU cost, which is
  // taken out of the fan-out's figure below.
  const double idle_cpu_before = cpu_seconds(pid);
  const auto idle = coach_latencies(
      slack, 50, [&] { return system_clock::now() < due - 15s; }, 500);
  const double cpu_per_coach = (cpu_seconds(pid) - idle_cpu_before) /
                               static_cast<double>(std::max<std::size_t>(idle.size(), 1));
  std::printf("/coach ack idle: p50 %.2f ms, p99 %.2f ms (%zu), bot CPU %.0f us each\n",
              percentile(idle, 0.5), percentile(idle, 0.99), idle.size(), cpu_per_coach * 1e6);
  if (system_clock::now() > due - 2s) {
    std::fprintf(stderr, "the idle phase ran past the minute; try fewer --people\n");
    return 1;
  }
  std::this_thread::sleep_until(due - 1s);
  const std::size_t early = nudges_by_person(slack).size();

  // The 429 storm: after `storm_after` posts, 50 answers of HTTP 429 with
  // Retry-After 5 s.
  if (storm_after < people) {
    std::vector<Fault> storm(storm_after, Fault{0, {}, 0});
    for (int i = 0; i < 50; ++i) storm.push_back(Fault{429, {}, 5});
    slack.queue_method_faults("chat.postMessage", storm);
  }

  const double cpu_before = cpu_seconds(pid);
  std::this_thread::sleep_until(due);
  const auto fan_out_start = Steady::now();
  std::size_t sent = 0;
  double all_sent_s = -1;
  const auto deadline = fan_out_start + 15min;
  std::thread watcher([&] {
    while (Steady::now() < deadline) {
      sent = nudges_by_person(slack).size();
      if (sent >= people) {
        all_sent_s = std::chrono::duration<double>(Steady::now() - fan_out_start).count();
        return;
      }
      std::this_thread::sleep_for(200ms);
    }
  });
  const auto busy = coach_latencies(
      slack, 20, [&] { return all_sent_s < 0 && Steady::now() < deadline; }, 100000);
  watcher.join();
  const double cpu_used = cpu_seconds(pid) - cpu_before;
  std::this_thread::sleep_for(2s);  // a late duplicate would show by now

  const auto by_person = nudges_by_person(slack);
  std::size_t once = 0, more = 0;
  for (const auto& [who, n] : by_person) (n == 1 ? once : more) += 1;
  std::size_t throttled = 0;
  for (const auto& call : slack.calls("chat.postMessage")) {
    throttled += call.answer.value("error", "") == "ratelimited" ? 1 : 0;
  }
  std::printf("nudges before their minute: %zu\n", early);
  std::printf("fan-out: %zu of %zu people got theirs%s; %zu once, %zu more than once\n",
              by_person.size(), people, all_sent_s < 0 ? " (not all within 15 min)" : "", once,
              more);
  if (all_sent_s >= 0) {
    std::printf("all sent %.1f s after the minute (%.0f nudges/s), with %zu posts answered 429\n",
                all_sent_s, static_cast<double>(people) / all_sent_s, throttled);
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
  std::printf("resident memory: %.1f MiB now, %.1f MiB peak\n", resident_kib(pid) / 1024.0,
              peak_resident_kib(pid) / 1024.0);
  bot.signal(SIGTERM);
  bot.wait(10s);
  return more == 0 && early == 0 ? 0 : 1;
}
