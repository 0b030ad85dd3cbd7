// The job scheduler over a real store, with a clock the test moves. The
// crash tests stop an "instance" between claim and send by claiming through
// the store and never finishing; another scheduler then takes over.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "bot/console/console.hpp"
#include "bot/schedule/platform_jobs.hpp"
#include "bot/schedule/scheduler.hpp"
#include "bot/slack/lane.hpp"
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

TEMPLATE_TEST_CASE("a batch that outlives the lease on two instances runs each job once",
                   "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto one = SqlStore::open(backend.url, {}, clock);
  auto two = SqlStore::open(backend.url, {}, clock);
  constexpr int kJobs = 20;
  for (int i = 0; i < kJobs; ++i) REQUIRE(one->jobs().schedule(nudge_at(clock.now())));
  SchedulerOptions short_lease_a = options("a");
  short_lease_a.lease = 10s;
  SchedulerOptions short_lease_b = options("b");
  short_lease_b.lease = 10s;
  JobScheduler a(one->jobs(), clock, short_lease_a);
  JobScheduler b(two->jobs(), clock, short_lease_b);
  // Each job takes 2 s of clock time, so the batch takes 20 s on a's two
  // workers: twice the lease it was claimed with.
  Recorder recorder;
  std::mutex started_mutex;
  std::condition_variable started_changed;
  bool a_started = false;
  std::atomic<int> passes_b{0};
  const auto slow_sender = [&](const Job& job, JobControl& control) {
    {
      std::lock_guard lock(started_mutex);
      a_started = true;
    }
    started_changed.notify_all();
    // On a busy machine a's whole batch could end before b's thread gets
    // a turn: wait (a little, in real time) for b's first pass.
    for (int i = 0; i < 5000 && passes_b.load() == 0; ++i) std::this_thread::sleep_for(1ms);
    if (!control.begin_effect()) return JobOutcome::done();
    recorder.add(job.id);
    clock.advance(2s);
    return JobOutcome::done();
  };
  a.handle("test.nudge", slow_sender);
  b.handle("test.nudge", slow_sender);

  const auto began = clock.now();
  std::atomic<bool> a_done{false};
  int ran_b = 0;
  std::thread other_instance([&] {
    // Only once a holds the whole batch, so b can get a job only by taking
    // over a lease a failed to renew.
    {
      std::unique_lock lock(started_mutex);
      if (!started_changed.wait_for(lock, 10s, [&] { return a_started; })) return;
    }
    for (; passes_b < 100000 && !a_done; ++passes_b) {
      ran_b += b.run_due();
      std::this_thread::yield();
    }
  });
  const int ran_a = a.run_due();
  a_done = true;
  other_instance.join();

  INFO("b made " << passes_b.load() << " passes");
  CHECK(passes_b > 0);
  CHECK(ran_a == kJobs);
  CHECK(ran_b == 0);
  CHECK(clock.now() - began >= 4 * short_lease_a.lease);  // the batch did outlive its lease
  CHECK(recorder.size() == kJobs);
  CHECK(std::set<std::int64_t>(recorder.sent.begin(), recorder.sent.end()).size() == kJobs);
  const auto states = one->jobs().count_by_state();
  CHECK(states.size() == 1);
  CHECK(states.at("done") == kJobs);
}

TEMPLATE_TEST_CASE("a queued job whose lease was lost is not run by the instance that lost it",
                   "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto one = SqlStore::open(backend.url, {}, clock);
  auto two = SqlStore::open(backend.url, {}, clock);
  const auto first = *one->jobs().schedule(nudge_at(clock.now()));
  const auto second = *one->jobs().schedule(nudge_at(clock.now() + 1s));
  clock.advance(1s);
  SchedulerOptions single = options("a");
  single.workers = 1;  // the second job waits in a's queue behind the first
  JobScheduler a(one->jobs(), clock, single);
  JobScheduler b(two->jobs(), clock, options("b"));
  Recorder recorder;
  b.handle("test.nudge", sender(recorder));
  int ran_b = 0;
  a.handle("test.nudge", [&](const Job& job, JobControl& control) {
    if (job.id == first) {
      // a stalls past both leases (as a paused process would) before it
      // sends, and b takes both jobs over meanwhile.
      clock.advance(2min);
      ran_b = b.run_due();
    }
    if (!control.begin_effect()) return JobOutcome::done();
    recorder.add(job.id);
    return JobOutcome::done();
  });
  CHECK(a.run_due() == 1);  // only the first job's handler ran on a, and it did not send
  CHECK(ran_b == 2);
  std::sort(recorder.sent.begin(), recorder.sent.end());
  CHECK(recorder.sent == std::vector<std::int64_t>{first, second});
  CHECK(one->jobs().count_by_state().at("done") == 2);
}

TEMPLATE_TEST_CASE("jobs of one batch run side by side on the scheduler's workers", "[scheduler]",
                   Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  store->jobs().schedule(nudge_at(clock.now()));
  store->jobs().schedule(nudge_at(clock.now()));
  JobScheduler scheduler(store->jobs(), clock, options("a"));  // two workers by default
  std::mutex mutex;
  std::condition_variable arrived_changed;
  int arrived = 0;
  int met = 0;
  scheduler.handle("test.nudge", [&](const Job&, JobControl&) {
    std::unique_lock lock(mutex);
    ++arrived;
    arrived_changed.notify_all();
    // Each handler waits for the other: only handlers that run at the same
    // time both get past this (the bound keeps a regression from hanging).
    if (arrived_changed.wait_for(lock, 10s, [&] { return arrived == 2; })) ++met;
    return JobOutcome::done();
  });
  CHECK(scheduler.run_due() == 2);
  CHECK(met == 2);
}

TEMPLATE_TEST_CASE("a job begins its effect and schedules its successor in one step", "[scheduler]",
                   Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  NewJob weekly = nudge_at(clock.now());
  weekly.kind = "test.weekly";
  weekly.unique_key = "weekly:C1";
  REQUIRE(store->jobs().schedule(weekly));
  JobScheduler scheduler(store->jobs(), clock, options("a"));
  Recorder recorder;
  std::vector<bool> scheduled;
  scheduler.handle("test.weekly", [&](const Job& job, JobControl& control) {
    NewJob next = weekly;
    next.due = job.due + std::chrono::hours{24 * 7};
    // The same key: the next occurrence takes it over from this one.
    const bool began = control.begin_effect_and_schedule(next);
    scheduled.push_back(began);
    if (!began) return JobOutcome::done();
    recorder.add(job.id);
    return JobOutcome::done();
  });

  SECTION("while the job is held, both happen") {
    CHECK(scheduler.run_due() == 1);
    CHECK(scheduled == std::vector<bool>{true});
    auto states = store->jobs().count_by_state();
    CHECK(states.at("done") == 1);
    CHECK(states.at("pending") == 1);
    CHECK(store->jobs().next_due() == clock.now() + std::chrono::hours{24 * 7});
    // A second schedule under the key finds the successor holding it.
    CHECK_FALSE(store->jobs().schedule(weekly));
    clock.advance(std::chrono::hours{24 * 7});
    CHECK(scheduler.run_due() == 1);
    CHECK(recorder.size() == 2);
    CHECK(store->jobs().count_by_state().at("done") == 2);
  }

  SECTION("once another instance has taken the job over, neither happens") {
    scheduler.handle("test.weekly", [&](const Job&, JobControl& control) {
      // Stalled past the lease; the other instance claims the job.
      clock.advance(2min);
      store->jobs().recover_expired_leases(clock.now());
      REQUIRE(store->jobs().claim_due(clock.now(), 10, 1min, "b").due.size() == 1);
      NewJob next = weekly;
      next.unique_key = "weekly:C1:next";
      next.due = clock.now() + std::chrono::hours{24 * 7};
      scheduled.push_back(control.begin_effect_and_schedule(next));
      return JobOutcome::done();
    });
    CHECK(scheduler.run_due() == 1);
    CHECK(scheduled == std::vector<bool>{false});
    const auto states = store->jobs().count_by_state();
    CHECK(states.size() == 1);
    CHECK(states.at("claimed") == 1);  // b's, still to run; no successor, nothing started
    CHECK_FALSE(store->jobs().cancel_key("weekly:C1:next"));
  }
}

TEST_CASE(
    "maintenance forgets handled envelopes and finished jobs, and schedules its next run once") {
  Sqlite backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  auto second_instance = SqlStore::open(backend.url, {}, clock);
  MaintenancePolicy policy;
  policy.dedupe_retention = 60min;
  schedule_maintenance(store->jobs(), clock, policy);
  schedule_maintenance(second_instance->jobs(), clock, policy);  // same slot: not doubled
  CHECK(store->jobs().count_by_state().at("pending") == 1);

  CHECK(handled_once(*store, "E-old", clock.now()));
  clock.advance(61min);
  CHECK(handled_once(*store, "E-new", clock.now()));
  JobScheduler scheduler(store->jobs(), clock, options("a"));
  std::ostringstream console_output;
  ConsoleWorkspace slack(console_output);  // a stand-in Slack; nothing is posted here
  register_platform_jobs(scheduler, slack, store->jobs(), *store, *store, *store, clock, policy);
  CHECK(scheduler.run_due() == 1);
  CHECK(handled_once(*store, "E-old", clock.now()));        // expired, so new again
  CHECK_FALSE(handled_once(*store, "E-new", clock.now()));  // kept
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

TEMPLATE_TEST_CASE(
    "a job people wait on is not queued behind a fan-out: the lanes take turns, and bulk "
    "jobs make their calls in the bulk lane",
    "[scheduler]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  auto o = options("a");
  o.workers = 1;  // one at a time, so the order is the order they ran in
  o.bulk_batch_size = 10;
  JobScheduler scheduler(store->jobs(), clock, o);
  std::mutex mutex;
  std::vector<std::string> ran;  // kind and the lane its calls were in
  const auto recording = [&](const Job& job, JobControl& control) {
    if (!control.begin_effect()) return JobOutcome::done();
    std::lock_guard lock(mutex);
    ran.push_back(job.kind + (BulkWork::current() == Lane::kBulk ? "/bulk" : "/people"));
    return JobOutcome::done();
  };
  scheduler.handle("test.fan_out", recording);
  scheduler.handle("test.first_nudge", recording);
  // A fan-out of 100 due at the minute, and one job people wait on due a
  // second later: in due order it would run last.
  for (int i = 0; i < 100; ++i) {
    NewJob bulk = nudge_at(clock.now());
    bulk.kind = "test.fan_out";
    bulk.lane = JobLane::kBulk;
    store->jobs().schedule(bulk);
  }
  NewJob first = nudge_at(clock.now() + 1s);
  first.kind = "test.first_nudge";
  store->jobs().schedule(first);
  clock.advance(1s);

  CHECK(scheduler.run_due() == 101);
  REQUIRE(ran.size() == 101);
  const auto at = std::find(ran.begin(), ran.end(), "test.first_nudge/people") - ran.begin();
  // It went first: the lanes' turns start with the jobs people wait on.
  CHECK(at == 0);
  CHECK(std::count(ran.begin(), ran.end(), "test.fan_out/bulk") == 100);

  // A job people wait on that falls due while a fan-out is under way waits
  // at most one bulk batch.
  ran.clear();
  for (int i = 0; i < 50; ++i) {
    NewJob bulk = nudge_at(clock.now());
    bulk.kind = "test.fan_out";
    bulk.lane = JobLane::kBulk;
    store->jobs().schedule(bulk);
  }
  std::atomic<bool> scheduled{false};
  scheduler.handle("test.fan_out", [&](const Job& job, JobControl& control) {
    if (!scheduled.exchange(true)) {
      // Due now, made while the first bulk batch runs.
      NewJob late = nudge_at(clock.now());
      late.kind = "test.first_nudge";
      store->jobs().schedule(late);
    }
    return recording(job, control);
  });
  CHECK(scheduler.run_due() == 51);
  const auto late_at = std::find(ran.begin(), ran.end(), "test.first_nudge/people") - ran.begin();
  CHECK(late_at == o.bulk_batch_size);
}

TEST_CASE(
    "the passes that run every second read indexes, not whole tables, however many jobs wait "
    "(SQLite)",
    "[scheduler]") {
  // What an idle bot with many people does again and again: a scheduler
  // pass (recover leases, claim what is due in each lane), the look at the
  // next due time, the inbox's lease keeping. A statement that misses its
  // index reads every job each time: CPU that grows with people when
  // nothing happens.
  Sqlite backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  for (int i = 0; i < 2000; ++i) {
    NewJob job = nudge_at(clock.now() + 1h + std::chrono::seconds{i});
    job.unique_key = "nudge:U" + std::to_string(i);
    if (i % 2 == 1) job.lane = JobLane::kBulk;
    REQUIRE(store->jobs().schedule(job));
  }
  std::vector<InboxEntry> handled;
  for (int i = 0; i < 500; ++i) handled.push_back({"E" + std::to_string(i), "", "{}"});
  store->commit_inbox_batch(handled, {}, "a", clock.now(), clock.now() + 1min);
  std::vector<std::string> ids;
  for (const auto& entry : handled) ids.push_back(entry.envelope_id);
  store->commit_inbox_batch({}, ids, "a", clock.now(), clock.now() + 1min);

  Recorder recorder;
  JobScheduler scheduler(store->jobs(), clock, options("a"));
  scheduler.handle("test.nudge", sender(recorder));
  const auto first_due = clock.now() + 1h;
  const auto before = store->database().rows_read_by_full_scans();
  for (int pass = 0; pass < 3; ++pass) {
    CHECK(scheduler.run_due() == 0);
    CHECK(store->jobs().next_due() == first_due);
    store->renew_inbox_leases("a", clock.now() + 1min);
    std::int64_t abandoned = 0;
    CHECK(store->take_unfinished("a", clock.now(), clock.now() + 1min, false, 100, 3, abandoned)
              .empty());
    clock.advance(1s);
  }
  CHECK(store->database().rows_read_by_full_scans() == before);
  CHECK(recorder.size() == 0);
}
