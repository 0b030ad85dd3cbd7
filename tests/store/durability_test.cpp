// State survives what real deployments do to it: kill -9 and restart, a
// second instance on the same PostgreSQL database, and a PostgreSQL outage.
// These run the real binary (or the real SlackBot) against the fake Slack.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "bot/inbox/durable_inbox.hpp"
#include "bot/schedule/platform_jobs.hpp"
#include "integration/support.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::store;
using namespace ff::testing;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> bot_args(const std::string& database) {
  // A short poll so the tests see jobs within a fraction of a second.
  return {"--db", database, "--set", "scheduler.poll_interval_ms=100", "--log-level", "debug"};
}

// Waits until the fake has accepted `count` connections in all, then returns
// the newest open one.
int newest_connection(const FakeSlack& slack, std::size_t count) {
  for (int i = 0; i < 200 && slack.connections_accepted() < count; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(slack.connections_accepted() >= count);
  REQUIRE(slack.wait_for_open_connections(1, 5s));
  return slack.open_connections().back();
}

bool answered(const std::optional<nlohmann::json>& ack) {
  return ack && ack->contains("payload");
}

std::vector<std::string> posted_texts(const FakeSlack& slack, const std::string& prefix) {
  std::vector<std::string> texts;
  for (const auto& call : slack.calls("chat.postMessage")) {
    const std::string text = call.json.value("text", "");
    if (text.rfind(prefix, 0) == 0) texts.push_back(text);
  }
  return texts;
}

bool wait_for_posts(const FakeSlack& slack, const std::string& prefix, std::size_t count,
                    std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (posted_texts(slack, prefix).size() >= count) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// One worker and an ack deadline of 5 ms: most of a burst is acked before it
// is handled, as on a busy bot, so a crash finds acked work not done yet.
std::vector<std::string> burst_args(const std::string& database) {
  auto args = bot_args(database);
  for (const char* setting : {"bot.workers=1", "slack.ack_deadline_ms=5", "scheduler.lease_ms=1000",
                              "bot.shutdown_grace_ms=300"}) {
    args.emplace_back("--set");
    args.emplace_back(setting);
  }
  return args;
}

// How often each envelope was answered: in an ack, or through its own
// response_url.
std::map<std::string, int> answers_of(const FakeSlack& slack, const std::vector<std::string>& ids) {
  std::map<std::string, int> answers;
  for (const auto& id : ids) {
    answers[id] = 0;
    for (const auto& ack : slack.acks(id)) answers[id] += ack.contains("payload") ? 1 : 0;
  }
  const std::string prefix = "/response/";
  for (const auto& call : slack.calls("response_url")) {
    if (const auto it = answers.find(call.path.substr(prefix.size())); it != answers.end())
      ++it->second;
  }
  return answers;
}

std::size_t count_answered(const std::map<std::string, int>& answers, int times) {
  return static_cast<std::size_t>(std::count_if(
      answers.begin(), answers.end(), [times](const auto& a) { return a.second == times; }));
}

std::set<std::string> acked_among(const FakeSlack& slack, const std::vector<std::string>& ids) {
  std::set<std::string> acked;
  for (const auto& id : ids) {
    if (!slack.acks(id).empty()) acked.insert(id);
  }
  return acked;
}

// A burst of 3,000 /coach on one connection, and what had happened to it
// when the bot was stopped (once 300 were acked).
struct Burst {
  std::vector<std::string> ids;
  std::set<std::string> acked;     // when the bot stopped
  std::size_t acked_not_done = 0;  // of those, not answered when it stopped

  void stopped(const FakeSlack& slack) {
    acked = acked_among(slack, ids);
    const auto answers = answers_of(slack, ids);
    acked_not_done = 0;
    for (const auto& id : acked) acked_not_done += answers.at(id) == 0 ? 1 : 0;
  }

  // Checks what a crash may and may not cost. Every envelope acked before
  // it is answered. A reply that travels in its ack is marked finished
  // before the ack leaves, so one caught between the two is never answered:
  // its envelope was not acked, and Slack tells the person it failed. Only
  // the last few replies can be caught so.
  std::size_t acked_unanswered(const std::map<std::string, int>& answers) const {
    return static_cast<std::size_t>(
        std::count_if(answers.begin(), answers.end(),
                      [&](const auto& a) { return a.second == 0 && acked.count(a.first) > 0; }));
  }

  // Where, in the order the burst was sent, the first and the last envelope
  // never answered are: how far apart the crash's casualties lie.
  std::size_t unanswered_span(const std::map<std::string, int>& answers) const {
    std::size_t first = ids.size(), last = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (answers.at(ids[i]) != 0) continue;
      first = std::min(first, i);
      last = i;
    }
    return first > last ? 0 : last - first + 1;
  }

  void check_after_crash(const std::map<std::string, int>& answers) const {
    CHECK(acked_unanswered(answers) == 0);
    // Those caught are the replies whose finish marks had committed and
    // whose acks had not left yet: at most one commit of the inbox (as many
    // as finished while it wrote the last one, a few when idle, more on a
    // busy machine), so all of them lie within one batch of the burst.
    CHECK(unanswered_span(answers) <= DurableInboxOptions{}.max_batch);
    // A reply through response_url (its ack left empty at the deadline) is
    // marked finished after it was posted, and the worker waits for that
    // mark: only the envelope the one worker was answering at the moment
    // of the crash may be answered again.
    CHECK(count_answered(answers, 2) <= 1);
  }

  // After the stop or crash: Slack redelivers what was never acked, then
  // every envelope of the burst must be answered, and nothing more arrives.
  // Prints the figures under `label`.
  std::map<std::string, int> answered_after(FakeSlack& slack, int connection,
                                            const char* label) const {
    // The premise: the stop found acked work that was not done yet.
    REQUIRE(acked_not_done > 0);
    for (const auto& id : ids) {
      if (acked.count(id) == 0) slack.send_slash_command(connection, "/coach", "", true, id);
    }
    // Until every acked one is answered and no more answers come for a
    // second: the few a crash may cost (see check_after_crash) never come.
    std::size_t unanswered = ids.size();
    for (int i = 0, still = 0; i < 600 && still < 20; ++i) {
      std::this_thread::sleep_for(50ms);
      const auto now = answers_of(slack, ids);
      const std::size_t left = count_answered(now, 0);
      still = left == unanswered && acked_unanswered(now) == 0 ? still + 1 : 0;
      unanswered = left;
    }
    std::this_thread::sleep_for(500ms);  // a late second answer would show up by now
    const auto answers = answers_of(slack, ids);
    std::printf(
        "%s: %zu of %zu acked, %zu of those not yet answered; then %zu answered once, %zu "
        "twice, %zu not at all\n",
        label, acked.size(), ids.size(), acked_not_done, count_answered(answers, 1),
        count_answered(answers, 2), count_answered(answers, 0));
    return answers;
  }
};

Burst send_burst(FakeSlack& slack, int connection) {
  Burst burst;
  burst.ids = slack.send_slash_commands(connection, 3000);
  for (int i = 0; i < 500 && acked_among(slack, burst.ids).size() < 300; ++i)
    std::this_thread::sleep_for(5ms);
  REQUIRE(acked_among(slack, burst.ids).size() >= 300);
  return burst;
}

}  // namespace

TEST_CASE("binary: an envelope redelivered after kill -9 and a restart is not handled again") {
  FakeSlack slack;
  Sqlite backend;
  {
    ChildProcess first(bot_args(backend.url), slack_environment(slack));
    const int c = newest_connection(slack, 1);
    REQUIRE(answered(
        slack.wait_for_ack(slack.send_slash_command(c, "/coach", "", true, "E-kept"), 5s)));
    first.signal(SIGKILL);
    REQUIRE(first.wait(5s) != -1);
  }
  ChildProcess second(bot_args(backend.url), slack_environment(slack));
  const int c = newest_connection(slack, 2);
  // Slack redelivers the same envelope to the new connection.
  slack.send_slash_command(c, "/coach", "", true, "E-kept");
  REQUIRE(slack.wait_for_ack("E-kept", 5s));
  for (int i = 0; i < 100 && slack.acks("E-kept").size() < 2; ++i)
    std::this_thread::sleep_for(20ms);
  const auto acks = slack.acks("E-kept");
  REQUIRE(acks.size() == 2);
  CHECK(acks[1].contains("payload") == false);  // acked, not answered a second time
  CHECK(answered(slack.wait_for_ack(slack.send_slash_command(c, "/coach", ""), 5s)));
}

TEMPLATE_TEST_CASE(
    "binary: kill -9 in the middle of a burst loses no acked command, and the restart answers it",
    "[crash]", Sqlite, Postgres) {
  TestType backend;
  FakeSlack slack;
  Burst burst;
  {
    ChildProcess first(burst_args(backend.url), slack_environment(slack));
    burst = send_burst(slack, newest_connection(slack, 1));
    first.signal(SIGKILL);
    REQUIRE(first.wait(5s) != -1);
    burst.stopped(slack);
  }
  ChildProcess second(burst_args(backend.url), slack_environment(slack));
  const auto answers = burst.answered_after(slack, newest_connection(slack, 2), "kill -9");
  burst.check_after_crash(answers);
}

TEMPLATE_TEST_CASE(
    "binary: SIGTERM with a long queue stops within the grace, and the restart answers what was "
    "left, once",
    "[crash]", Sqlite, Postgres) {
  TestType backend;
  FakeSlack slack;
  Burst burst;
  {
    ChildProcess first(burst_args(backend.url), slack_environment(slack));
    burst = send_burst(slack, newest_connection(slack, 1));
    const auto signalled = std::chrono::steady_clock::now();
    first.signal(SIGTERM);
    // A supervisor kills what is still running after its own grace.
    int code = first.wait(3s);
    const auto took = std::chrono::steady_clock::now() - signalled;
    if (code == -1) {
      first.signal(SIGKILL);
      first.wait(5s);
    }
    std::printf("SIGTERM with a queue: exited with %d after %.0f ms (grace 300 ms)\n", code,
                std::chrono::duration<double, std::milli>(took).count());
    CHECK(code == 0);
    // The grace, the close handshake (up to 1 s), and the process's own exit
    // on a loaded machine: the handlers themselves are not waited for.
    CHECK(took < 2300ms);
    CHECK(first.err().find("left in it") != std::string::npos);
    burst.stopped(slack);
  }
  ChildProcess second(burst_args(backend.url), slack_environment(slack));
  const auto answers = burst.answered_after(slack, newest_connection(slack, 2), "SIGTERM");
  // A clean stop wrote every finished envelope: nothing is answered twice.
  CHECK(count_answered(answers, 1) == burst.ids.size());
}

TEST_CASE(
    "binary: two instances on PostgreSQL: what a killed one acked, the other answers once its "
    "lease ends") {
  ScratchPostgresDatabase database;
  FakeSlack slack;
  ChildProcess survivor(burst_args(database.url()), slack_environment(slack));
  REQUIRE(slack.wait_for_open_connections(1, 10s));
  const int kept = slack.open_connections().front();
  Burst burst;
  {
    ChildProcess victim(burst_args(database.url()), slack_environment(slack));
    REQUIRE(slack.wait_for_open_connections(2, 10s));
    const auto open = slack.open_connections();
    burst = send_burst(slack, open.front() == kept ? open.back() : open.front());
    victim.signal(SIGKILL);
    REQUIRE(victim.wait(5s) != -1);
    burst.stopped(slack);
  }
  // Slack sends what was never acked to the connection left; the survivor
  // takes up the rest when the dead instance's lease (1 s here) runs out.
  const auto answers = burst.answered_after(slack, kept, "two instances, one killed");
  burst.check_after_crash(answers);
}

TEST_CASE("binary: a message scheduled before kill -9 is sent once, after the restart") {
  FakeSlack slack;
  Sqlite backend;
  {
    ChildProcess first(bot_args(backend.url), slack_environment(slack));
    newest_connection(slack, 1);
    // Scheduled once the first instance runs (however slowly it started),
    // due after it is gone.
    {
      auto store = SqlStore::open(backend.url, {}, SystemClock::instance());
      store->jobs().schedule(
          post_message_job("U0NUDGED", "restart-nudge", SystemClock::instance().now() + 1500ms));
    }
    first.signal(SIGKILL);
    REQUIRE(first.wait(5s) != -1);
  }
  CHECK(posted_texts(slack, "restart-nudge").empty());
  ChildProcess second(bot_args(backend.url), slack_environment(slack));
  REQUIRE(wait_for_posts(slack, "restart-nudge", 1, 10s));
  std::this_thread::sleep_for(500ms);  // several more polls: nothing more is sent
  CHECK(posted_texts(slack, "restart-nudge").size() == 1);
}

TEMPLATE_TEST_CASE("kill -9 in the middle of a write loop loses no committed write", "[crash]",
                   Sqlite, Postgres) {
  TestType backend;
  ChildProcess writer({backend.url}, {}, {}, FF_CRASH_WRITER);
  std::size_t printed = 0;
  for (int i = 0; i < 400 && printed < 500; ++i) {
    std::this_thread::sleep_for(25ms);
    std::istringstream lines(writer.out());
    printed = 0;
    for (std::string line; std::getline(lines, line);) ++printed;
  }
  REQUIRE(printed >= 500);
  writer.signal(SIGKILL);
  REQUIRE(writer.wait(5s) != -1);

  std::istringstream lines(writer.out());
  std::vector<std::string> committed;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) committed.push_back("W" + line);
  }
  auto store = SqlStore::open(backend.url, {}, SystemClock::instance());
  std::size_t missing = 0;
  for (const auto& key : committed) {
    if (handled_once(*store, key)) {
      ++missing;
      UNSCOPED_INFO("missing: " << key);
    }
  }
  CHECK(missing == 0);
  if (store->database().dialect() == Dialect::kSqlite) {
    const auto check = store->database().read(
        [](SqlSession& s) { return s.run("PRAGMA integrity_check").rows.at(0).text(0); });
    CHECK(check == "ok");
  }
}

TEST_CASE(
    "binary: two instances on one PostgreSQL database handle each envelope once and run "
    "1000 simultaneous jobs once each") {
  ScratchPostgresDatabase database;
  const auto due = SystemClock::instance().now() + 3s;
  {
    auto store = SqlStore::open(database.url(), {}, SystemClock::instance());
    for (int i = 0; i < 1000; ++i) {
      // One DM each, as nudges are: each channel has its own rate limit.
      REQUIRE(store->jobs().schedule(
          post_message_job("U" + std::to_string(100000 + i), "job-" + std::to_string(i), due)));
    }
  }
  FakeSlack slack;
  ChildProcess one(bot_args(database.url()), slack_environment(slack));
  ChildProcess two(bot_args(database.url()), slack_environment(slack));
  REQUIRE(slack.wait_for_open_connections(2, 10s));
  const auto connections = slack.open_connections();
  REQUIRE(connections.size() == 2);

  // Slack spreads envelopes across the sockets; here every envelope also
  // arrives a second time on the other socket, as a redelivery would.
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    const std::string id = "E-two-" + std::to_string(i);
    slack.send_slash_command(connections[i % 2], "/coach", "", true, id);
    slack.send_slash_command(connections[(i + 1) % 2], "/coach", "", true, id);
    ids.push_back(id);
  }
  for (int i = 0; i < 20; ++i) {
    const std::string event = "Ev-two-" + std::to_string(i);
    slack.send_direct_message(connections[i % 2], "help", event);
    slack.send_direct_message(connections[(i + 1) % 2], "help", event, 1);
  }
  // Each envelope is answered once: in its ack, or (when the handler missed
  // the ack deadline on a loaded machine) through its response_url.
  std::size_t answered_in_acks = 0;
  for (const auto& id : ids) {
    for (int i = 0; i < 250 && slack.acks(id).size() < 2; ++i) std::this_thread::sleep_for(10ms);
    const auto acks = slack.acks(id);
    REQUIRE(acks.size() == 2);
    answered_in_acks +=
        (acks[0].contains("payload") ? 1 : 0) + (acks[1].contains("payload") ? 1 : 0);
  }
  if (answered_in_acks < ids.size()) {
    CHECK(slack.wait_for_calls("response_url", ids.size() - answered_in_acks, 10s));
  }
  CHECK(answered_in_acks + slack.calls("response_url").size() == ids.size());

  REQUIRE(wait_for_posts(slack, "job-", 1000, 60s));
  // All 20 answers go to one DM channel, which Slack lets take about one
  // message a second: they need some 20 s from the first.
  REQUIRE(wait_for_posts(slack, "firstfollower helps you lead leaders", 20, 40s));
  std::this_thread::sleep_for(1s);  // later polls by either instance send nothing more
  CHECK(answered_in_acks + slack.calls("response_url").size() == ids.size());
  const auto texts = posted_texts(slack, "job-");
  CHECK(texts.size() == 1000);
  CHECK(std::set<std::string>(texts.begin(), texts.end()).size() == 1000);
  CHECK(posted_texts(slack, "firstfollower helps you lead leaders").size() == 20);
}

TEST_CASE("a PostgreSQL outage: the bot keeps answering, then writes again when it returns") {
  PostgresServer server;
  FakeSlack slack;
  Config config = test_config(slack);
  config.database = server.url();
  config.scheduler_poll_interval = 100ms;
  RunningBot bot(slack, config);
  REQUIRE(slack.wait_for_open_connections(1, 5s));
  REQUIRE(bot.bot->client().wait_until_live(1, 5s));
  const int c = slack.open_connections().back();
  auto history_rows = [&] {
    return bot.store->database().read([](SqlSession& s) {
      return s.run("SELECT count(*) FROM prompt_history").rows.at(0).integer(0);
    });
  };
  REQUIRE(answered(slack.wait_for_ack(slack.send_slash_command(c, "/coach", ""), 5s)));
  REQUIRE(history_rows() == 1);

  server.pause();
  for (int i = 0; i < 5; ++i) {
    const auto started = std::chrono::steady_clock::now();
    CHECK(answered(slack.wait_for_ack(slack.send_slash_command(c, "/coach", ""), 5s)));
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }
  std::this_thread::sleep_for(300ms);  // the scheduler polls into the outage
  CHECK(bot.bot->scheduler().counters().store_errors > 0);

  server.resume();
  {
    auto other = SqlStore::open(server.url(), {}, SystemClock::instance());
    other->jobs().schedule(post_message_job("U0BACK", "back-again", SystemClock::instance().now()));
  }
  CHECK(wait_for_posts(slack, "back-again", 1, 10s));
  // Answers are recorded again, and nothing written before the outage is lost.
  bool recorded = false;
  for (int i = 0; i < 50 && !recorded; ++i) {
    slack.wait_for_ack(slack.send_slash_command(c, "/coach", ""), 5s);
    recorded = history_rows() >= 2;
    if (!recorded) std::this_thread::sleep_for(100ms);
  }
  CHECK(recorded);
}

TEST_CASE(
    "binary: SIGTERM on one of two instances on PostgreSQL gives its claimed jobs to the other "
    "at once, and each is sent once") {
  ScratchPostgresDatabase database;
  // Twenty messages to one person: Slack takes about one a second in one
  // DM, so the instance that claims them needs some twenty seconds.
  {
    auto store = SqlStore::open(database.url(), {}, SystemClock::instance());
    const auto due = SystemClock::instance().now();
    for (int i = 0; i < 20; ++i) {
      REQUIRE(
          store->jobs().schedule(post_message_job("U0PACED", "paced-" + std::to_string(i), due)));
    }
  }
  FakeSlack slack;
  ChildProcess first(bot_args(database.url()), slack_environment(slack));
  REQUIRE(wait_for_posts(slack, "paced-", 2, 20s));
  ChildProcess second(bot_args(database.url()), slack_environment(slack));
  REQUIRE(slack.wait_for_open_connections(2, 10s));
  const auto stopped_at = std::chrono::steady_clock::now();
  first.signal(SIGTERM);
  CHECK(first.wait(10s) == 0);
  // The stop did not wait for the batch, and gave the rest back.
  CHECK(std::chrono::steady_clock::now() - stopped_at < 5s);
  CHECK(first.err().find("claimed job(s) given back") != std::string::npos);
  // The second instance sends them long before the first's leases (60 s)
  // would have run out.
  REQUIRE(wait_for_posts(slack, "paced-", 20, 40s));
  CHECK(std::chrono::steady_clock::now() - stopped_at < 40s);
  std::this_thread::sleep_for(1s);
  const auto texts = posted_texts(slack, "paced-");
  CHECK(texts.size() == 20);
  CHECK(std::set<std::string>(texts.begin(), texts.end()).size() == 20);
  second.signal(SIGTERM);
  CHECK(second.wait(10s) == 0);
}

TEST_CASE(
    "binary: SIGTERM on one of two instances on PostgreSQL in the middle of a burst: every "
    "envelope is answered once") {
  ScratchPostgresDatabase database;
  FakeSlack slack;
  slack.set_redeliver_unacked(true);  // as Slack does when a connection closes
  ChildProcess first(bot_args(database.url()), slack_environment(slack));
  REQUIRE(slack.wait_for_open_connections(1, 10s));
  const int to_first = slack.open_connections().front();
  ChildProcess second(bot_args(database.url()), slack_environment(slack));
  REQUIRE(slack.wait_for_open_connections(2, 10s));
  int to_second = -1;
  for (const int c : slack.open_connections()) {
    if (c != to_first) to_second = c;
  }

  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    const std::string id = "E-stop-" + std::to_string(i);
    try {
      slack.send_slash_command(to_first, "/coach", "", true, id);
    } catch (const std::exception&) {
      // Its connection closed: Slack sends new envelopes to the other.
      slack.send_slash_command(to_second, "/coach", "", true, id);
    }
    ids.push_back(id);
    if (i == 100) first.signal(SIGTERM);  // while the rest keep arriving
  }
  CHECK(first.wait(15s) == 0);
  // The first took only part of the burst: the rest reached the second
  // only as Slack's redeliveries of what the first left unacked.
  const auto stopped = first.err().find("stopped: ");
  REQUIRE(stopped != std::string::npos);
  const long taken_by_first = std::stol(first.err().substr(stopped + 9));
  CHECK(taken_by_first < static_cast<long>(ids.size()));
  // Each is acked (by the first, or by the second after a redelivery) and
  // answered once: in its ack, or through its response_url.
  std::size_t answered_in_acks = 0;
  for (const auto& id : ids) {
    for (int i = 0; i < 500 && slack.acks(id).empty(); ++i) std::this_thread::sleep_for(10ms);
    const auto acks = slack.acks(id);
    INFO(id);
    REQUIRE_FALSE(acks.empty());
    std::size_t with_payload = 0;
    for (const auto& ack : acks) with_payload += ack.contains("payload") ? 1 : 0;
    CHECK(with_payload <= 1);
    answered_in_acks += with_payload;
  }
  const std::size_t late = ids.size() - answered_in_acks;
  if (late > 0) CHECK(slack.wait_for_calls("response_url", late, 30s));
  std::this_thread::sleep_for(1s);  // nothing more arrives
  CHECK(answered_in_acks + slack.calls("response_url").size() == ids.size());
  second.signal(SIGTERM);
  CHECK(second.wait(10s) == 0);
}
