// The dispatcher over a real worker pool: one person's requests in order,
// everyone else's alongside.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <sstream>

#include "bot/console/console.hpp"
#include "bot/slack/dedupe.hpp"
#include "bot/slack/dispatcher.hpp"

using namespace ff;
using namespace std::chrono_literals;

namespace {

class NoAck final : public Ack {
 public:
  bool send(std::optional<nlohmann::json>) override { return true; }
};

Envelope message_from(const std::string& user, const std::string& text, int serial) {
  Event e;
  e.event_id = "Ev" + std::to_string(serial);
  e.team_id = "T0";
  e.type = "message";
  e.channel_type = "im";
  e.channel = "D0" + user;
  e.user = user;
  e.text = text;
  Envelope envelope;
  envelope.envelope_id = "env-" + std::to_string(serial);
  envelope.type = "events_api";
  envelope.request = e;
  return envelope;
}

// What the handlers did, in the order they did it, and a gate that holds
// the first message until the test opens it.
struct Log {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> events;
  bool gate_open = false;

  void add(const std::string& what) {
    std::lock_guard lock(mutex);
    events.push_back(what);
    changed.notify_all();
  }
  bool has(const std::string& what) {
    return std::find(events.begin(), events.end(), what) != events.end();
  }
  bool wait_for(const std::string& what) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return has(what); });
  }
  bool wait_for_gate() {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return gate_open; });
  }
  void open_gate() {
    std::lock_guard lock(mutex);
    gate_open = true;
    changed.notify_all();
  }
};

}  // namespace

TEST_CASE("two quick messages of one person are handled in order, on two workers") {
  Log log;
  EnvelopeRouter router;
  router.feature("test").other_direct_messages([&log](const Event& e) {
    log.add("start " + e.text);
    if (e.text == "alex-1") CHECK(log.wait_for_gate());
    log.add("end " + e.text);
  });
  std::ostringstream out;
  ConsoleWorkspace slack(out);
  ManualClock clock;
  MemoryInbox inbox(clock, 15min, 1000);
  WorkerPool workers(2);
  Dispatcher dispatcher(router, slack, inbox, workers);

  // alex-1 holds one worker. alex-2 arrived before sam-1; without per-person
  // order the free worker would take alex-2 first.
  REQUIRE(dispatcher.dispatch(message_from("U0ALEX", "alex-1", 1), std::make_shared<NoAck>()));
  REQUIRE(log.wait_for("start alex-1"));
  REQUIRE(dispatcher.dispatch(message_from("U0ALEX", "alex-2", 2), std::make_shared<NoAck>()));
  REQUIRE(dispatcher.dispatch(message_from("U0SAM", "sam-1", 3), std::make_shared<NoAck>()));
  REQUIRE(log.wait_for("end sam-1"));
  {
    std::lock_guard lock(log.mutex);
    CHECK_FALSE(log.has("start alex-2"));  // waits behind alex-1, not beside it
  }
  log.open_gate();
  REQUIRE(dispatcher.wait_idle(std::chrono::steady_clock::now() + 10s));
  const auto at = [&log](const std::string& what) {
    return std::find(log.events.begin(), log.events.end(), what) - log.events.begin();
  };
  CHECK(at("end alex-1") < at("start alex-2"));
  CHECK(log.events.size() == 6);
  workers.shutdown();
}

TEST_CASE("a worker that waits on Slack lets another thread take the queue") {
  WorkerPool pool(1, 4);
  Log log;
  pool.post([&log] {
    const WorkerPool::Waiting waiting;  // a rate limit, say
    log.add("waiting");
    CHECK(log.wait_for_gate());
    log.add("done waiting");
  });
  REQUIRE(log.wait_for("waiting"));
  pool.post([&log] { log.add("other"); });
  // Runs while the only configured worker still waits.
  REQUIRE(log.wait_for("other"));
  {
    std::lock_guard lock(log.mutex);
    CHECK_FALSE(log.has("done waiting"));
  }
  log.open_gate();
  REQUIRE(log.wait_for("done waiting"));
  CHECK(pool.thread_count() == 2);
}

TEST_CASE("without a wait the pool runs no more jobs at once than it was given") {
  WorkerPool pool(1, 4);
  Log log;
  pool.post([&log] {
    log.add("first");
    CHECK(log.wait_for_gate());
  });
  REQUIRE(log.wait_for("first"));
  pool.post([&log] { log.add("second"); });
  {
    std::unique_lock lock(log.mutex);
    // Bounded: the second must not start while the first runs.
    CHECK_FALSE(log.changed.wait_for(lock, 200ms, [&log] { return log.has("second"); }));
  }
  log.open_gate();
  REQUIRE(log.wait_for("second"));
  CHECK(pool.thread_count() == 1);
}
