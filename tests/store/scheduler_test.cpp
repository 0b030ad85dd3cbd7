// The job scheduler over a real store, with a clock the test moves. The
// crash tests stop an "instance" between claim and send by claiming through
// the store and never finishing; another scheduler then takes over.
#include <catch2/catch.hpp>

#include <mutex>
#include <set>
#include <thread>

#include <sstream>

#include "bot/console/console.hpp"
#include "bot/schedule/platform_jobs.hpp"
#include "bot/schedule/scheduler.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::store;
using namespace ff::testing;
using namespace std::chrono_literals;

namespace {

// Records what each job kind's handler was asked to do, as a Slack would.
struct Recorder {
  std::mutex mutex;
  std::vector<std::int64_t> sent;
  void add(std::int64_t id) {
    std::lock_guard lock(mutex);
    sent.push_back(id);
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return sent.size();
  }
};

SchedulerOptions options(const std::string& owner) {
  SchedulerOptions o;
  o.owner = owner;
  o.lease = 1min;
  return o;
}

// A handler that sends: begins its effect, then records it.
JobHandler sender(Recorder& recorder) {
  return [&recorder](const Job& job, JobControl& control) {
    if (!control.begin_effect()) return JobOutcome::done();
    recorder.add(job.id);
    return JobOutcome::done();
  };
}

NewJob nudge_at(TimePoint due) {
  NewJob job;
  job.kind = "test.nudge";
  job.due = due;
  job.grace = 30min;
  return job;
}

}  // namespace

TEMPLATE_TEST_CASE(
    "the scheduler runs a due job once, leaves a future one and never a cancelled "
    "one",
    "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  Recorder recorder;
  JobScheduler scheduler(store->jobs(), clock, options("a"));
  scheduler.handle("test.nudge", sender(recorder));
  const auto now_job = store->jobs().schedule(nudge_at(clock.now()));
  const auto later = store->jobs().schedule(nudge_at(clock.now() + 10min));
  const auto cancelled = store->jobs().schedule(nudge_at(clock.now()));
  REQUIRE(store->jobs().cancel(*cancelled));
  CHECK(scheduler.run_due() == 1);
  CHECK(scheduler.run_due() == 0);
  clock.advance(10min);
  CHECK(scheduler.run_due() == 1);
  CHECK(recorder.sent == std::vector<std::int64_t>{*now_job, *later});
}

TEMPLATE_TEST_CASE("jobs survive a restart: due while down runs within grace, else is skipped",
                   "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  std::int64_t soon = 0;
  {
    auto before_restart = SqlStore::open(backend.url, {}, clock);
    soon = *before_restart->jobs().schedule(nudge_at(clock.now() + 5min));
    before_restart->jobs().schedule(nudge_at(clock.now() + 1min));  // will be too late
  }
  // Down for 34 minutes: the first job is 29 minutes late, within its
  // 30-minute grace window; the second is 33 minutes late, past it.
  clock.advance(34min);
  auto after_restart = SqlStore::open(backend.url, {}, clock);
  Recorder recorder;
  JobScheduler scheduler(after_restart->jobs(), clock, options("b"));
  scheduler.handle("test.nudge", sender(recorder));
  CHECK(scheduler.run_due() == 1);
  CHECK(recorder.sent == std::vector<std::int64_t>{soon});
  CHECK(scheduler.counters().missed == 1);
  CHECK(after_restart->jobs().count_by_state().at("skipped") == 1);
}

TEMPLATE_TEST_CASE("a crash between claim and send: the next instance sends it exactly once",
                   "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  const auto id = store->jobs().schedule(nudge_at(clock.now()));
  // Instance A claims the job and dies before sending.
  REQUIRE(store->jobs().claim_due(clock.now(), 10, 1min, "a").due.size() == 1);

  Recorder recorder;
  JobScheduler b(store->jobs(), clock, options("b"));
  b.handle("test.nudge", sender(recorder));
  CHECK(b.run_due() == 0);  // A's lease still holds
  clock.advance(61s);
  CHECK(b.run_due() == 1);
  CHECK(b.run_due() == 0);
  CHECK(recorder.sent == std::vector<std::int64_t>{*id});
}

TEMPLATE_TEST_CASE("a crash after sending began: the message is never sent a second time",
                   "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  const auto id = store->jobs().schedule(nudge_at(clock.now()));
  // Instance A claims, starts sending, and dies before recording the result.
  REQUIRE(store->jobs().claim_due(clock.now(), 10, 1min, "a").due.size() == 1);
  REQUIRE(store->jobs().mark_started(*id, "a"));

  Recorder recorder;
  JobScheduler b(store->jobs(), clock, options("b"));
  b.handle("test.nudge", sender(recorder));
  clock.advance(61s);
  CHECK(b.run_due() == 0);
  CHECK(recorder.size() == 0);
  CHECK(b.counters().abandoned == 1);
  CHECK(store->jobs().count_by_state().at("abandoned") == 1);
}

TEMPLATE_TEST_CASE("a failure before sending is retried later, one after sending is not",
                   "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  JobScheduler scheduler(store->jobs(), clock, options("a"));
  int calls = 0;
  scheduler.handle("test.flaky", [&](const Job&, JobControl&) {
    ++calls;
    return calls == 1 ? JobOutcome::retry("Slack unreachable", 30s) : JobOutcome::done();
  });
  scheduler.handle("test.late_failure", [&](const Job&, JobControl& control) {
    control.begin_effect();
    return JobOutcome::retry("timeout after the request was sent", 30s);
  });
  NewJob flaky = nudge_at(clock.now());
  flaky.kind = "test.flaky";
  NewJob late = nudge_at(clock.now());
  late.kind = "test.late_failure";
  store->jobs().schedule(flaky);
  store->jobs().schedule(late);
  scheduler.run_due();
  CHECK(calls == 1);
  clock.advance(31s);
  scheduler.run_due();
  CHECK(calls == 2);
  const auto states = store->jobs().count_by_state();
  CHECK(states.at("done") == 1);
  CHECK(states.at("failed") == 1);  // not retried: the message may have gone out
}

TEMPLATE_TEST_CASE("two schedulers on one database run 1000 jobs due at one moment once each",
                   "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto one = SqlStore::open(backend.url, {}, clock);
  auto two = SqlStore::open(backend.url, {}, clock);
  for (int i = 0; i < 1000; ++i) REQUIRE(one->jobs().schedule(nudge_at(clock.now())));
  Recorder recorder;
  JobScheduler a(one->jobs(), clock, options("a"));
  JobScheduler b(two->jobs(), clock, options("b"));
  a.handle("test.nudge", sender(recorder));
  b.handle("test.nudge", sender(recorder));
  int ran_a = 0, ran_b = 0;
  std::thread ta([&] { ran_a = a.run_due(); });
  std::thread tb([&] { ran_b = b.run_due(); });
  ta.join();
  tb.join();
  CHECK(ran_a + ran_b == 1000);
  CHECK(recorder.size() == 1000);
  CHECK(std::set<std::int64_t>(recorder.sent.begin(), recorder.sent.end()).size() == 1000);
  INFO("instance a ran " << ran_a << ", b ran " << ran_b);
}

TEST_CASE("maintenance expires old dedupe ids and finished jobs, and schedules its next run once") {
  Sqlite backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  auto second_instance = SqlStore::open(backend.url, {}, clock);
  MaintenancePolicy policy;
  policy.dedupe_retention = 60min;
  schedule_maintenance(store->jobs(), clock, policy);
  schedule_maintenance(second_instance->jobs(), clock, policy);  // same slot: not doubled
  CHECK(store->jobs().count_by_state().at("pending") == 1);

  CHECK(store->first_time("E-old"));
  clock.advance(61min);
  CHECK(store->first_time("E-new"));
  JobScheduler scheduler(store->jobs(), clock, options("a"));
  std::ostringstream console_output;
  ConsoleWorkspace slack(console_output);  // a stand-in Slack; nothing is posted here
  register_platform_jobs(scheduler, slack, store->jobs(), *store, *store, clock, policy);
  CHECK(scheduler.run_due() == 1);
  CHECK(store->first_time("E-old"));        // expired, so new again
  CHECK_FALSE(store->first_time("E-new"));  // kept
  const auto states = store->jobs().count_by_state();
  CHECK(states.at("done") == 1);
  CHECK(states.at("pending") == 1);  // the next run
  CHECK(store->jobs().next_due() > clock.now());
}

TEST_CASE("the background scheduler runs a job as soon as it is woken") {
  Sqlite backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  Recorder recorder;
  SchedulerOptions slow = options("a");
  slow.poll_interval = 1h;  // only wake() can make it look before the test ends
  JobScheduler scheduler(store->jobs(), clock, slow);
  scheduler.handle("test.nudge", sender(recorder));
  scheduler.start();
  std::this_thread::sleep_for(50ms);  // the first pass finds nothing
  const auto id = store->jobs().schedule(nudge_at(clock.now()));
  scheduler.wake();
  for (int i = 0; i < 200 && recorder.size() == 0; ++i) std::this_thread::sleep_for(10ms);
  scheduler.stop();
  CHECK(recorder.sent == std::vector<std::int64_t>{*id});
}
