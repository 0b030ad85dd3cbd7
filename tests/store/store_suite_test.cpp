// The one suite both back ends must pass. Each TEMPLATE_TEST_CASE runs once
// on SQLite and once on PostgreSQL (skipped, visibly, without PostgreSQL).
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "bot/store/migrations.hpp"
#include "store/store_support.hpp"

using namespace ff;
using namespace ff::store;
using namespace ff::testing;
using namespace std::chrono_literals;

namespace {

TimePoint at_minute(int minute) {
  return from_millis(1'800'000'000'000LL) + std::chrono::minutes{minute};
}

NewJob job_due(TimePoint due, std::string kind = "test.kind") {
  NewJob job;
  job.kind = std::move(kind);
  job.due = due;
  job.payload = {{"n", 1}};
  return job;
}

}  // namespace

TEMPLATE_TEST_CASE("a new database is migrated to the latest schema, and again is a no-op",
                   "[store]", Sqlite, Postgres) {
  TestType backend;
  auto database = open_database(backend.url, {});
  CHECK(schema_version(*database) == 0);
  migrate(*database);
  CHECK(schema_version(*database) == latest_schema_version());
  migrate(*database);
  CHECK(schema_version(*database) == latest_schema_version());
  const auto steps = database->read([](SqlSession& s) {
    return s.run("SELECT count(*) FROM schema_migrations").rows.at(0).integer(0);
  });
  CHECK(steps == latest_schema_version());
}

TEMPLATE_TEST_CASE("every earlier schema version upgrades to the latest with its data kept",
                   "[store]", Sqlite, Postgres) {
  for (int from = 1; from < latest_schema_version(); ++from) {
    DYNAMIC_SECTION("from version " << from) {
      TestType backend;
      auto database = open_database(backend.url, {});
      migrate(*database, from);
      REQUIRE(schema_version(*database) == from);
      // Version 1 already holds dedupe ids and jobs: they must survive.
      database->transact([&](SqlSession& s) {
        if (from < 7) {
          s.run("INSERT INTO processed_ids (id, seen_at) VALUES ('E-old', 1)");
        } else {  // the inbox took the place of processed ids
          s.run(
              "INSERT INTO inbox (envelope_id, frame, state, received_at, finished_at) "
              "VALUES ('E-old', '{}', 'done', 1, 1)");
        }
        s.run(
            "INSERT INTO prompt_history (channel_id, category, prompt_id, drawn_at) "
            "VALUES ('C1', 'gap', 'gap-see', 1)");
        if (from >= 2) {  // endorsements (made before the first follower was recorded, below 5)
          s.run(
              "INSERT INTO initiatives (id, team_id, channel_id, owner_id, title, status, "
              "created_at) VALUES (500, 'T1', 'C1', 'U1', 'old', 'open', 1)");
          s.run(
              "INSERT INTO endorsements (initiative_id, user_id, kind, created_at) VALUES "
              "(500, 'U3', 'endorse', 5), (500, 'U2', 'endorse', 7), (500, 'U0', 'follow', 2)");
          s.run(
              "INSERT INTO dialog_sessions (user_id, script, step, answers, started_at, "
              "updated_at) VALUES ('U1', 'gap', 1, '{}', 1, 1)");
        }
      });
      migrate(*database);
      CHECK(schema_version(*database) == latest_schema_version());
      ManualClock clock;
      SqlStore store(std::move(database), clock);
      CHECK_FALSE(handled_once(store, "E-old"));  // still known as handled
      CHECK(store.recent_draws("C1", "gap", 5) == std::vector<std::string>{"gap-see"});
      CHECK(store.figures({}).questions_drawn == 0);  // drawn before anyone was recorded
      if (from >= 2) {
        const auto backers = store.endorsements(500);
        REQUIRE(backers.size() == 3);
        if (from < 5) {  // from 5 on, the first follower is written with the endorsement
          CHECK(backers[0].user_id == "U3");
          CHECK(backers[0].first_follower);
          CHECK_FALSE(backers[1].first_follower);
          CHECK_FALSE(backers[2].first_follower);
        }
        // A dialog from before versions counts as saved once: a save from
        // that read goes through, a second new session does not.
        auto dialog = store.dialog("U1");
        REQUIRE(dialog);
        CHECK(dialog->version == 1);
        CHECK_FALSE(store.save_dialog({"U1", "gap", 0, {}, at_minute(0), at_minute(0)}));
        dialog->step = 2;
        CHECK(store.save_dialog(*dialog));
      }
      CHECK(store.create_initiative(
                {0, "T1", "C1", "U1", "title", "", "open", "", at_minute(0), std::nullopt}) > 0);
    }
  }
}

TEMPLATE_TEST_CASE("two instances migrating at the same moment apply each step once", "[store]",
                   Sqlite, Postgres) {
  TestType backend;
  std::vector<std::thread> starters;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    starters.emplace_back([&] {
      try {
        auto database = open_database(backend.url, {});
        migrate(*database);
      } catch (const std::exception& error) {
        UNSCOPED_INFO(error.what());
        ++failures;
      }
    });
  }
  for (auto& t : starters) t.join();
  CHECK(failures == 0);
  auto database = open_database(backend.url, {});
  CHECK(schema_version(*database) == latest_schema_version());
  const auto steps = database->read([](SqlSession& s) {
    return s.run("SELECT count(*) FROM schema_migrations").rows.at(0).integer(0);
  });
  CHECK(steps == latest_schema_version());
}

TEMPLATE_TEST_CASE("a database of a newer schema is refused and left as it was", "[store]", Sqlite,
                   Postgres) {
  TestType backend;
  {
    auto database = open_database(backend.url, {});
    migrate(*database);
    database->transact([](SqlSession& s) {
      s.run(
          "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, "
          "'from the future', 0)",
          {std::int64_t{latest_schema_version() + 1}});
    });
  }
  ManualClock clock;
  try {
    SqlStore::open(backend.url, {}, clock);
    FAIL("a newer schema was accepted");
  } catch (const DatabaseOpenError& error) {
    CHECK_THAT(error.what(), Catch::Contains("newer than this firstfollower understands"));
    CHECK_THAT(error.what(), Catch::Contains("left untouched"));
  }
  auto database = open_database(backend.url, {});
  CHECK(schema_version(*database) == latest_schema_version() + 1);
}

TEMPLATE_TEST_CASE("inbox: an envelope is new once, across instances, until handled ones expire",
                   "[store][inbox]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto one = SqlStore::open(backend.url, {}, clock);
  auto two = SqlStore::open(backend.url, {}, clock);
  CHECK(handled_once(*one, "E1", clock.now(), "Ev1"));
  CHECK_FALSE(handled_once(*one, "E1", clock.now()));
  CHECK_FALSE(handled_once(*two, "E1", clock.now()));
  // Slack's retry of an event comes in a new envelope with the same event id.
  CHECK_FALSE(handled_once(*two, "E1-retry", clock.now(), "Ev1"));
  CHECK(handled_once(*two, "E3", clock.now(), "Ev3"));
  clock.advance(2h);
  CHECK(handled_once(*one, "E2", clock.now()));
  CHECK(one->forget_finished_before(clock.now() - 1h) == 2);
  CHECK(handled_once(*two, "E1", clock.now()));        // forgotten, so new again
  CHECK_FALSE(handled_once(*two, "E2", clock.now()));  // still within the window
}

TEMPLATE_TEST_CASE("inbox: a batch says which of its envelopes were new, the first of a repeat",
                   "[store][inbox]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  CHECK(handled_once(*store, "E-before", clock.now()));
  std::vector<InboxEntry> batch;
  for (int i = 0; i < 300; ++i) batch.push_back({"E" + std::to_string(i), {}, "frame"});
  batch.push_back({"E-before", {}, "frame"});  // handled earlier
  batch.push_back({"E7", {}, "frame"});        // twice in the batch
  batch.push_back({"E-other", "Ev-shared", "frame"});
  batch.push_back({"E-same-event", "Ev-shared", "frame"});
  const auto fresh = store->commit_inbox_batch(batch, {}, "me", clock.now(), clock.now() + 1min);
  const std::multiset<std::string> got(fresh.begin(), fresh.end());
  CHECK(got.size() == 301);
  CHECK(got.count("E7") == 1);
  CHECK(got.count("E299") == 1);
  CHECK(got.count("E-other") == 1);
  CHECK(got.count("E-before") == 0);
  CHECK(got.count("E-same-event") == 0);
}

TEMPLATE_TEST_CASE("inbox: racing instances let exactly one through per envelope", "[store][inbox]",
                   Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto one = SqlStore::open(backend.url, {}, clock);
  auto two = SqlStore::open(backend.url, {}, clock);
  std::atomic<int> firsts{0};
  auto race = [&](SqlStore& store) {
    for (int i = 0; i < 300; i += 3) {
      std::vector<InboxEntry> batch;
      for (int j = i; j < i + 3; ++j) batch.push_back({"E" + std::to_string(j), {}, "f"});
      firsts += static_cast<int>(
          store.commit_inbox_batch(batch, {}, "racer", clock.now(), clock.now()).size());
    }
  };
  std::thread a([&] { race(*one); });
  std::thread b([&] { race(*two); });
  a.join();
  b.join();
  CHECK(firsts == 300);
}

TEMPLATE_TEST_CASE(
    "inbox: an unfinished envelope waits for its owner's lease, is taken up once, and is given up "
    "after its last attempt",
    "[store][inbox]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  clock.set_epoch(std::chrono::system_clock::time_point{} + 1000h);
  auto alive = SqlStore::open(backend.url, {}, clock);
  auto other = SqlStore::open(backend.url, {}, clock);
  const auto now = clock.now();
  alive->commit_inbox_batch({{"E-first", {}, "frame one"}, {"E-second", {}, "frame two"}}, {},
                            "alive", now, now + 1min);
  clock.advance(1s);
  alive->commit_inbox_batch({{"E-done", {}, "frame three"}}, {"E-done"}, "alive", clock.now(),
                            clock.now() + 1min);
  std::int64_t abandoned = -1;
  // Held: nobody takes them while the lease runs, and renewing keeps it.
  CHECK(other->take_unfinished("other", clock.now(), clock.now() + 1min, false, 10, 3, abandoned)
            .empty());
  CHECK(abandoned == 0);
  clock.advance(50s);
  CHECK(alive->renew_inbox_leases("alive", clock.now() + 1min) == 2);
  clock.advance(50s);
  CHECK(other->take_unfinished("other", clock.now(), clock.now() + 1min, false, 10, 3, abandoned)
            .empty());
  // The owner died: once its lease ends the other takes them, oldest first,
  // frames as they arrived; a second look finds none.
  clock.advance(11s);
  auto taken =
      other->take_unfinished("other", clock.now(), clock.now() + 1min, false, 10, 3, abandoned);
  REQUIRE(taken.size() == 2);
  CHECK(taken[0].envelope_id == "E-first");
  CHECK(taken[0].frame == "frame one");
  CHECK(taken[0].attempts == 2);
  CHECK(taken[1].envelope_id == "E-second");
  CHECK(other->take_unfinished("third", clock.now(), clock.now() + 1min, false, 10, 3, abandoned)
            .empty());
  // A stop releases them: taken at once, without waiting for the lease.
  CHECK(other->release_inbox_leases("other") == 2);
  taken =
      alive->take_unfinished("restarted", clock.now(), clock.now() + 1min, false, 1, 3, abandoned);
  REQUIRE(taken.size() == 1);  // the limit
  CHECK(taken[0].envelope_id == "E-first");
  CHECK(taken[0].attempts == 3);
  other->commit_inbox_batch({}, {"E-first"}, "restarted", clock.now(), clock.now());
  // E-second's third take is its last attempt; when that instance dies too,
  // the next start gives it up instead of running it a fourth time.
  taken =
      alive->take_unfinished("restarted", clock.now(), clock.now() + 1min, false, 10, 3, abandoned);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].envelope_id == "E-second");
  CHECK(taken[0].attempts == 3);
  taken = alive->take_unfinished("last", clock.now(), clock.now() + 1min, true, 10, 3, abandoned);
  CHECK(taken.empty());
  CHECK(abandoned == 1);
  // Handled and given-up envelopes keep no frame, only their ids.
  const auto frames = alive->database().read([](SqlSession& s) {
    return s.run("SELECT count(*) FROM inbox WHERE frame <> ''").rows.at(0).integer(0);
  });
  CHECK(frames == 0);
}

TEMPLATE_TEST_CASE("inbox: one alone on its database takes every unfinished envelope at start",
                   "[store][inbox]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  store->commit_inbox_batch({{"E1", {}, "f"}}, {}, "crashed", clock.now(), clock.now() + 1h);
  std::int64_t abandoned = 0;
  CHECK(store->take_unfinished("new", clock.now(), clock.now() + 1h, false, 10, 3, abandoned)
            .empty());
  CHECK(
      store->take_unfinished("new", clock.now(), clock.now() + 1h, true, 10, 3, abandoned).size() ==
      1);
  // What it took is its own now: taken once, however often it looks, even
  // when its lease ran out before it renewed it.
  CHECK(
      store->take_unfinished("new", clock.now(), clock.now() + 1h, true, 10, 3, abandoned).empty());
  clock.advance(2h);
  CHECK(store->take_unfinished("new", clock.now(), clock.now() + 1h, false, 10, 3, abandoned)
            .empty());
  CHECK(store->take_unfinished("other", clock.now(), clock.now() + 1h, false, 10, 3, abandoned)
            .size() == 1);
}

TEMPLATE_TEST_CASE("jobs: claimed when due, oldest first, once", "[store][jobs]", Sqlite,
                   Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  JobStore& jobs = store->jobs();
  const auto late = jobs.schedule(job_due(at_minute(10)));
  const auto early = jobs.schedule(job_due(at_minute(5)));
  REQUIRE(late);
  REQUIRE(early);
  CHECK(jobs.next_due() == at_minute(5));
  CHECK(jobs.claim_due(at_minute(4), 10, 1min, "a").due.empty());
  const auto first = jobs.claim_due(at_minute(10), 10, 1min, "a");
  REQUIRE(first.due.size() == 2);
  CHECK(first.due[0].id == *early);
  CHECK(first.due[1].id == *late);
  CHECK(first.due[0].payload == nlohmann::json{{"n", 1}});
  CHECK(first.due[0].attempts == 1);
  CHECK(jobs.claim_due(at_minute(10), 10, 1min, "b").due.empty());
  CHECK(jobs.mark_started(*early, "a"));
  jobs.finish(*early, "a", "done", "", at_minute(10));
  jobs.finish(*late, "a", "failed", "no luck", at_minute(10));
  const auto counts = jobs.count_by_state();
  CHECK(counts.at("done") == 1);
  CHECK(counts.at("failed") == 1);
  CHECK(jobs.purge_finished(at_minute(11)) == 2);
  CHECK(jobs.count_by_state().empty());
}

TEMPLATE_TEST_CASE("jobs: a unique key holds one live job and cancelling frees it", "[store][jobs]",
                   Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  JobStore& jobs = store->jobs();
  NewJob reminder = job_due(at_minute(1));
  reminder.unique_key = "reminder:initiative:7:1";
  const auto id = jobs.schedule(reminder);
  REQUIRE(id);
  CHECK_FALSE(jobs.schedule(reminder));
  CHECK(jobs.cancel_key("reminder:initiative:7:1"));
  CHECK_FALSE(jobs.cancel(*id));  // already cancelled
  CHECK(jobs.schedule(reminder));
  CHECK(jobs.claim_due(at_minute(2), 10, 1min, "a").due.size() == 1);
}

TEMPLATE_TEST_CASE("jobs: cancelling by key prefix stops exactly the matching pending jobs",
                   "[store][jobs]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  JobStore& jobs = store->jobs();
  for (const char* key : {"initiative:1:remind:U1:1", "initiative:1:remind:U2:1",
                          "initiative:12:remind:U1:1", "initiative:1_remind"}) {
    NewJob job = job_due(at_minute(5));
    job.unique_key = key;
    REQUIRE(jobs.schedule(job));
  }
  CHECK(jobs.cancel_keys_starting("initiative:1:remind:U1:") == 1);
  CHECK(jobs.cancel_keys_starting("initiative:1:remind:") == 1);  // U2's; U1's already gone
  CHECK(jobs.cancel_keys_starting("initiative:1:remind:") == 0);
  const auto left = jobs.claim_due(at_minute(6), 10, 1min, "a").due;
  CHECK(left.size() == 2);  // initiative 12's, and the key that only looks alike
  // Neighbours in byte order: U10 and U1; are not U1's, and "now" ones are.
  for (const char* key : {"nudge:user:U1:7", "nudge:user:U1:now:7", "nudge:user:U10:7",
                          "nudge:user:U1;7", "nudge:user:U0:7"}) {
    NewJob job = job_due(at_minute(7));
    job.unique_key = key;
    REQUIRE(jobs.schedule(job));
  }
  CHECK(jobs.cancel_keys_starting("nudge:user:U1:") == 2);
  CHECK(jobs.claim_due(at_minute(8), 10, 1min, "a").due.size() == 3);
}

TEMPLATE_TEST_CASE("jobs: one found past its grace window is skipped, not run late",
                   "[store][jobs]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  NewJob job = job_due(at_minute(0));
  job.grace = 30min;
  REQUIRE(store->jobs().schedule(job));
  const auto claimed = store->jobs().claim_due(at_minute(31), 10, 1min, "a");
  CHECK(claimed.due.empty());
  REQUIRE(claimed.missed.size() == 1);
  CHECK(store->jobs().count_by_state().at("skipped") == 1);
}

TEMPLATE_TEST_CASE(
    "jobs: an expired lease brings back a job that had not started, never one "
    "that had started sending",
    "[store][jobs]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  JobStore& jobs = store->jobs();
  const auto quiet = jobs.schedule(job_due(at_minute(0)));
  const auto visible = jobs.schedule(job_due(at_minute(0)));
  NewJob retriable = job_due(at_minute(0));
  retriable.delivery = JobDelivery::kAtLeastOnce;
  const auto internal = jobs.schedule(retriable);
  REQUIRE(jobs.claim_due(at_minute(1), 10, 1min, "dead").due.size() == 3);
  CHECK(jobs.mark_started(*visible, "dead"));
  CHECK(jobs.mark_started(*internal, "dead"));
  // The owner dies. Before the lease ends nothing moves.
  CHECK(jobs.recover_expired_leases(at_minute(1) + 30s).requeued == 0);
  const auto recovered = jobs.recover_expired_leases(at_minute(3));
  CHECK(recovered.abandoned == 1);
  CHECK(recovered.requeued == 2);
  const auto again = jobs.claim_due(at_minute(3), 10, 1min, "alive");
  std::set<std::int64_t> ids;
  for (const auto& j : again.due) ids.insert(j.id);
  CHECK(ids == std::set<std::int64_t>{*quiet, *internal});
  // The dead owner cannot act on what it lost.
  CHECK_FALSE(jobs.mark_started(*quiet, "dead"));
  CHECK(jobs.mark_started(*quiet, "alive"));
}

TEMPLATE_TEST_CASE("jobs: two instances claiming at once take each job exactly once",
                   "[store][jobs]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto one = SqlStore::open(backend.url, {}, clock);
  auto two = SqlStore::open(backend.url, {}, clock);
  constexpr int kJobs = 1000;
  for (int i = 0; i < kJobs; ++i) REQUIRE(one->jobs().schedule(job_due(at_minute(0))));
  std::vector<std::int64_t> taken_one, taken_two;
  auto drain = [&](SqlStore& store, std::vector<std::int64_t>& taken, const char* owner) {
    for (int pass = 0; pass < 1000; ++pass) {
      const auto claimed = store.jobs().claim_due(at_minute(1), 25, 1min, owner);
      if (claimed.due.empty()) break;
      for (const auto& j : claimed.due) taken.push_back(j.id);
    }
  };
  std::thread a([&] { drain(*one, taken_one, "one"); });
  std::thread b([&] { drain(*two, taken_two, "two"); });
  a.join();
  b.join();
  std::set<std::int64_t> all(taken_one.begin(), taken_one.end());
  all.insert(taken_two.begin(), taken_two.end());
  CHECK(taken_one.size() + taken_two.size() == kJobs);
  CHECK(all.size() == kJobs);
}

TEMPLATE_TEST_CASE("prompt history: newest first, per channel and category", "[store]", Sqlite,
                   Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  store->record_draw("C1", "gap", "g1", "U1", at_minute(1));
  store->record_draw("C1", "gap", "g2", "U1", at_minute(2));
  store->record_draw("C1", "follow", "f1", "U2", at_minute(3));
  store->record_draw("C2", "gap", "g3", "", at_minute(4));
  CHECK(store->recent_draws("C1", "", 5) == std::vector<std::string>{"f1", "g2", "g1"});
  CHECK(store->recent_draws("C1", "gap", 1) == std::vector<std::string>{"g2"});
  CHECK(store->recent_draws("C3", "", 5).empty());
}

TEMPLATE_TEST_CASE("initiatives: endorsements, the first follower, and a close that wins a race",
                   "[store]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  const auto id = store->create_initiative(
      {0, "T1", "C1", "U1", "Faster reviews", "two reviewers", "open", "", at_minute(0), {}});
  store->set_message_ts(id, "1700000000.000100");
  const auto found = store->initiative(id);
  REQUIRE(found);
  CHECK(found->title == "Faster reviews");
  CHECK(found->message_ts == "1700000000.000100");
  CHECK(store->open_initiatives("C1").size() == 1);
  CHECK(store->open_initiatives("C2").empty());

  const auto first = store->endorse({id, "U2", "endorse", "", at_minute(1)});
  CHECK(first.outcome == EndorseOutcome::kAdded);
  CHECK(first.first);
  const auto again = store->endorse({id, "U2", "endorse", "", at_minute(2)});
  CHECK(again.outcome == EndorseOutcome::kAlreadyThere);
  const auto second = store->endorse({id, "U3", "endorse", "nit: name it", at_minute(3)});
  CHECK(second.outcome == EndorseOutcome::kAdded);
  CHECK_FALSE(second.first);
  CHECK(store->endorsements(id).size() == 2);
  CHECK(store->endorse({id + 1000, "U2", "endorse", "", at_minute(1)}).outcome ==
        EndorseOutcome::kNotFound);

  // Endorsements racing a close: each lands before it or is refused after.
  std::atomic<int> added{0};
  std::thread endorsers([&] {
    for (int i = 0; i < 50; ++i) {
      if (store->endorse({id, "UX" + std::to_string(i), "endorse", "", at_minute(4)}).outcome ==
          EndorseOutcome::kAdded) {
        ++added;
      }
    }
  });
  CHECK(store->move_initiative(id, "open", "done", at_minute(4)));
  endorsers.join();
  CHECK_FALSE(store->move_initiative(id, "open", "dropped", at_minute(5)));
  CHECK(store->endorsements(id).size() == static_cast<std::size_t>(2 + added.load()));
  CHECK(store->endorse({id, "U9", "endorse", "", at_minute(6)}).outcome ==
        EndorseOutcome::kNotOpen);
  CHECK(store->initiative(id)->status == "done");
  CHECK(store->open_initiatives("C1").empty());
}

TEMPLATE_TEST_CASE(
    "endorsements in the same millisecond: the first follower is the one recorded "
    "first",
    "[store]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  const auto id =
      store->create_initiative({0, "T1", "C1", "U1", "Pairing", "", "open", "", at_minute(0), {}});
  // U9 comes first; U2 sorts before it by id and arrives in the same millisecond.
  CHECK(store->endorse({id, "U9", "endorse", "", at_minute(1)}).first);
  CHECK_FALSE(store->endorse({id, "U2", "endorse", "", at_minute(1)}).first);
  const auto backers = store->endorsements(id);
  REQUIRE(backers.size() == 2);
  CHECK(backers[0].user_id == "U9");
  CHECK(backers[0].first_follower);
  CHECK_FALSE(backers[1].first_follower);
}

TEMPLATE_TEST_CASE("channel leads, nudges and how quickly support came", "[store]", Sqlite,
                   Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  store->set_channel_leads("C1", {"U7", "U8"}, "U9", at_minute(0));
  store->set_channel_leads("C1", {"U8"}, "U9", at_minute(1));  // replaces the list
  CHECK(store->channel_leads("C1") == std::vector<std::string>{"U8"});
  CHECK(store->channel_leads("C2").empty());

  const auto id =
      store->create_initiative({0, "T1", "C1", "U1", "idea", "", "open", "", at_minute(0), {}});
  const auto other = store->create_initiative(
      {0, "T1", "C2", "U1", "elsewhere", "", "open", "", at_minute(0), {}});
  CHECK(store->record_nudge(id, "U8", at_minute(0)));
  CHECK(store->record_nudge(id, "U2", at_minute(0)));
  CHECK_FALSE(store->record_nudge(id, "U8", at_minute(1)));  // once per person
  const auto nudges = store->nudged(id);
  REQUIRE(nudges.size() == 2);
  CHECK(nudges[0].user_id == "U2");
  CHECK(nudges[1].user_id == "U8");
  CHECK(nudges[1].message_ts.empty());
  store->set_nudge_message(id, "U8", "D0U8", "1700000000.000200");
  CHECK(store->nudged(id)[1].message_channel == "D0U8");
  CHECK(store->nudged(id)[1].message_ts == "1700000000.000200");
  CHECK(store->answer_nudge(id, "U2", "not now", at_minute(2)));
  CHECK_FALSE(store->answer_nudge(id, "U2", "endorsed", at_minute(3)));
  CHECK_FALSE(store->answer_nudge(id, "U5", "endorsed", at_minute(3)));  // never nudged
  store->endorse({id, "U8", "endorse", "", at_minute(90)});
  store->endorse({id, "U3", "endorse", "", at_minute(120)});

  const auto timings = store->initiative_timings("C1");
  REQUIRE(timings.size() == 1);
  CHECK(timings[0].initiative_id == id);
  CHECK(timings[0].first_endorsed_at == at_minute(90));
  REQUIRE(timings[0].nudged.size() == 2);
  CHECK(timings[0].nudged[0] == std::pair<std::string, std::optional<TimePoint>>{"U2", {}});
  CHECK(timings[0].nudged[1].second == at_minute(90));
  CHECK(store->initiative_timings("").size() == 2);
  CHECK(store->initiative_timings("C2")[0].initiative_id == other);
}

TEMPLATE_TEST_CASE("a draft is posted once, edited, discarded, and left out of the figures",
                   "[store]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  const auto draft =
      store->create_initiative({0, "T1", "C1", "U1", "lst", "", "draft", "", at_minute(0), {}});
  CHECK(store->open_initiatives("C1").empty());
  CHECK(store->initiative_timings("C1").empty());
  CHECK(store->endorse({draft, "U2", "endorse", "", at_minute(1)}).outcome ==
        EndorseOutcome::kNotOpen);
  CHECK(store->edit_initiative(draft, "List the risks", "before Friday"));
  // Of two presses of Post, one wins; the clock of support starts at posting.
  CHECK(store->move_initiative(draft, "draft", "open", at_minute(10)));
  CHECK_FALSE(store->move_initiative(draft, "draft", "open", at_minute(11)));
  CHECK_FALSE(store->discard_draft(draft));
  const auto posted = store->initiative(draft);
  REQUIRE(posted);
  CHECK(posted->title == "List the risks");
  CHECK(posted->description == "before Friday");
  CHECK(posted->created_at == at_minute(10));
  CHECK(store->edit_initiative(draft, "List the top risks", ""));

  CHECK(store->endorse({draft, "U3", "follow", "", at_minute(12)}).outcome ==
        EndorseOutcome::kAdded);
  CHECK(store->endorse({draft, "U3", "endorse", "", at_minute(12)}).outcome ==
        EndorseOutcome::kAdded);
  CHECK(store->unfollow(draft, "U3"));
  CHECK_FALSE(store->unfollow(draft, "U3"));
  REQUIRE(store->endorsements(draft).size() == 1);
  CHECK(store->endorsements(draft)[0].kind == "endorse");  // an endorsement stays

  const auto dropped =
      store->create_initiative({0, "T1", "C1", "U1", "gone", "", "open", "", at_minute(0), {}});
  CHECK(store->move_initiative(dropped, "open", "dropped", at_minute(20)));
  CHECK_FALSE(store->edit_initiative(dropped, "back", ""));
  REQUIRE(store->initiative_timings("C1").size() == 1);  // not the dropped one
  CHECK(store->initiative(dropped)->closed_at == at_minute(20));

  const auto old_draft =
      store->create_initiative({0, "T1", "C1", "U1", "old", "", "draft", "", at_minute(0), {}});
  const auto new_draft =
      store->create_initiative({0, "T1", "C1", "U1", "new", "", "draft", "", at_minute(50), {}});
  CHECK(store->forget_drafts_before(at_minute(30)) == 1);
  CHECK_FALSE(store->initiative(old_draft));
  CHECK(store->discard_draft(new_draft));
  CHECK_FALSE(store->initiative(new_draft));
}

TEMPLATE_TEST_CASE("feedback, decisions, nudge schedules, dialogs and profiles round-trip",
                   "[store]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  const auto nit = store->record_feedback(
      {0, "U1", "U2", "C1", "optional nit: <b>&", true, "sent", at_minute(0), {}});
  CHECK_FALSE(store->respond_to_feedback(nit, "U1", "acknowledged", at_minute(1)));
  CHECK(store->respond_to_feedback(nit, "U2", "discuss", at_minute(1)));
  CHECK_FALSE(store->respond_to_feedback(nit, "U2", "acknowledged", at_minute(2)));
  const auto feedback = store->feedback(nit);
  REQUIRE(feedback);
  CHECK(feedback->text == "optional nit: <b>&");
  CHECK(feedback->status == "discuss");
  CHECK(feedback->responded_at == at_minute(1));

  store->record_decision({0, "U1", "C1", "pick a queue", "no", at_minute(0), {}});
  REQUIRE(store->decisions_of("U1").size() == 1);
  CHECK(store->decisions_of("U1")[0].answer == "no");

  // One asking answered twice is one decision, with the last answer; the
  // same key of another person is theirs.
  const auto asked =
      store->record_decision({0, "U1", "C1", "rewrite?", "unsure", at_minute(1), "k1"});
  CHECK(store->record_decision({0, "U1", "C1", "rewrite?", "yes", at_minute(2), "k1"}) == asked);
  store->record_decision({0, "U2", "C1", "rewrite?", "no", at_minute(2), "k1"});
  const auto decided = store->decisions_of("U1");
  REQUIRE(decided.size() == 2);
  CHECK(decided[1].answer == "yes");
  CHECK(decided[1].asked_key == "k1");
  CHECK(store->figures("U1").sixmonth_led == 1);
  CHECK(store->figures("U1").sixmonth_unsure == 0);
  CHECK(store->decisions_of("U2").size() == 1);

  // A claim is taken once until given back or forgotten.
  CHECK(store->claim("discuss:C1:1.2", at_minute(0)));
  CHECK_FALSE(store->claim("discuss:C1:1.2", at_minute(1)));
  CHECK(store->claim("discuss:C1:1.3", at_minute(5)));
  store->release("discuss:C1:1.2");
  CHECK(store->claim("discuss:C1:1.2", at_minute(6)));
  CHECK(store->forget_claims_before(at_minute(6)) == 1);  // 1.3, taken at minute 5
  CHECK(store->claim("discuss:C1:1.3", at_minute(7)));
  CHECK_FALSE(store->claim("discuss:C1:1.2", at_minute(7)));

  NudgeSchedule nudge{"user", "U1",         "U1", 9 * 60 + 30, 0b11111,     "Europe/Paris",
                      {},     at_minute(0), 2,    20425,       "gap follow"};
  store->put_schedule(nudge);
  nudge.paused_until = at_minute(60);
  store->put_schedule(nudge);
  const auto schedule = store->schedule("user", "U1");
  REQUIRE(schedule);
  CHECK(schedule->local_minutes == 570);
  CHECK(schedule->paused_until == at_minute(60));
  CHECK(schedule->every_weeks == 2);
  CHECK(schedule->anchor_monday == 20425);
  CHECK(schedule->topics == "gap follow");
  CHECK(store->remove_schedule("user", "U1"));
  CHECK_FALSE(store->schedule("user", "U1"));

  // Nudges sent: where they went, what became of them, the figures.
  const auto sent = store->record_sent_nudge(
      {0, "user", "U1", "U1", "", "gap-1", at_minute(0), "sent", "", std::nullopt});
  store->set_nudge_message(sent, "D1", "1.5");
  CHECK(store->sent_nudge_at("D1", "1.5")->id == sent);
  CHECK_FALSE(store->sent_nudge_at("D1", ""));
  CHECK(store->set_nudge_outcome(sent, "snoozed", at_minute(1)));
  CHECK(store->record_reflection(sent, "the gap is the release notes", at_minute(2)));
  CHECK_FALSE(store->set_nudge_outcome(sent, "skipped", at_minute(3)));  // answered stays
  CHECK(store->sent_nudge(sent)->reflection == "the gap is the release notes");
  const auto later = store->record_sent_nudge(
      {0, "user", "U1", "D1", "1.6", "follow-2", at_minute(10), "sent", "", std::nullopt});
  CHECK(store->set_nudge_outcome(later, "skipped", at_minute(11)));
  store->record_sent_nudge(
      {0, "channel", "C1", "C1", "1.7", "gap-3", at_minute(10), "sent", "", std::nullopt});
  CHECK(store->recent_nudge_prompts("user", "U1", 5) ==
        std::vector<std::string>{"follow-2", "gap-1"});
  const auto figures = store->nudge_figures("U1", at_minute(0));
  CHECK(figures.sent == 2);
  CHECK(figures.answered == 1);
  CHECK(figures.skipped == 1);
  CHECK(store->nudge_figures("", at_minute(5)).sent == 1);  // channels are not people

  CHECK(store->save_dialog(
      {"U1", "close-a-gap", 2, {{"gap", "release notes"}}, at_minute(0), at_minute(1)}));
  const auto dialog = store->dialog("U1");
  REQUIRE(dialog);
  CHECK(dialog->step == 2);
  CHECK(dialog->answers["gap"] == "release notes");
  CHECK(dialog->version == 1);
  // A second new session for the same person is refused, not merged.
  CHECK_FALSE(store->save_dialog({"U1", "weigh-options", 0, {}, at_minute(2), at_minute(2)}));
  CHECK(store->dialog("U1")->script == "close-a-gap");
  // Two saves from the same read: the first wins, the second must read again.
  auto first = *dialog;
  auto second = *dialog;
  first.step = 3;
  second.step = 4;
  CHECK(store->save_dialog(first));
  CHECK_FALSE(store->save_dialog(second));
  const auto after = store->dialog("U1");
  CHECK(after->step == 3);
  CHECK(after->version == 2);
  second = *after;
  second.step = 4;
  CHECK(store->save_dialog(second));
  CHECK(store->dialog("U1")->step == 4);
  CHECK(store->remove_dialog("U1"));
  CHECK_FALSE(store->dialog("U1"));

  store->put_profile({"U1", "Asia/Tokyo", 9 * 3600, "Aiko", at_minute(0)});
  store->put_profile({"U1", "America/New_York", -5 * 3600, "Aiko", at_minute(1)});
  CHECK(store->profile("U1")->time_zone == "America/New_York");
  CHECK(store->profile("U1")->tz_offset_seconds == -18000);
}

TEMPLATE_TEST_CASE("export shows everything about a person and forget deletes it and only it",
                   "[store][personal]", Sqlite, Postgres) {
  TestType backend;
  ManualClock clock;
  auto store = SqlStore::open(backend.url, {}, clock);
  auto fill = [&](const std::string& user, const std::string& other) {
    const auto id = store->create_initiative(
        {0, "T1", "C1", user, "idea of " + user, "", "open", "", at_minute(0), {}});
    store->endorse({id, other, "endorse", "", at_minute(1)});
    store->record_feedback({0, user, other, "C1", "nit", true, "sent", at_minute(0), {}});
    store->record_decision({0, user, "C1", "d", "yes", at_minute(0), {}});
    store->put_schedule({"user", user, user, 540, 31, "UTC", {}, at_minute(0), 1, 0, ""});
    store->save_dialog(
        {user, "weigh-options", 1, nlohmann::json::object(), at_minute(0), at_minute(0)});
    store->put_profile({user, "UTC", 0, user, at_minute(0)});
    NewJob reminder = job_due(at_minute(10));
    reminder.subject_user = user;
    store->jobs().schedule(reminder);
    store->record_draw("C1", "gap", "gap-1", user, at_minute(2));
    store->record_draw(user, "gap", "gap-2", user, at_minute(3));       // `/coach me`'s rotation
    store->set_channel_leads("L" + user, {other}, user, at_minute(4));  // naming a lead
  };
  fill("U1", "U2");
  fill("U2", "U1");

  const auto exported = store->export_user("U1");
  CHECK(exported["initiatives"].size() == 1);
  CHECK(exported["endorsements"].size() == 1);  // U1 endorsed U2's idea
  CHECK(exported["feedback_given"].size() == 1);
  CHECK(exported["feedback_received"].size() == 1);
  CHECK(exported["sixmonth_decisions"].size() == 1);
  CHECK(exported["nudge_schedules"].size() == 1);
  CHECK(exported["dialog_sessions"].size() == 1);
  CHECK(exported["user_profiles"].size() == 1);
  CHECK(exported["scheduled_jobs"].size() == 1);
  CHECK(exported["questions_drawn"].size() == 2);
  CHECK(exported["channel_leads"].size() == 1);                 // U2 named U1 a lead
  CHECK(exported["channel_leads_named"].size() == 1);           // U1 named U2
  CHECK(exported["initiatives"][0]["created_at"].is_string());  // ISO 8601, for people
  CHECK(store->figures("U1").questions_drawn == 2);

  const auto removed = store->forget_user("U1");
  CHECK(removed.at("initiatives") == 1);
  CHECK(removed.at("questions_drawn") == 2);
  CHECK(removed.at("channel_leads_named") == 1);
  // What the figures counted of U1 is gone with it.
  CHECK(store->figures("U1").questions_drawn == 0);
  CHECK(store->figures("U1").feedback_given == 0);
  CHECK(store->recent_draws("U1", "gap", 10).empty());
  const auto after = store->export_user("U1");
  for (const auto& [kind, rows] : after.items()) {
    if (rows.is_array()) CHECK(rows.empty());
  }
  // U2 keeps what is theirs alone.
  const auto other = store->export_user("U2");
  CHECK(other["initiatives"].size() == 1);
  CHECK(other["sixmonth_decisions"].size() == 1);
  CHECK(other["scheduled_jobs"].size() == 1);
  CHECK(other["endorsements"].empty());  // it endorsed U1's initiative, which is gone
  CHECK(other["questions_drawn"].size() == 2);
  CHECK(store->channel_leads("LU1") == std::vector<std::string>{"U2"});  // the lead stays
}

// The next feature cannot forget to be forgettable: every column of the
// schema is either covered by export and forget (it holds a person's id) or
// listed here as holding none. A new column is neither until someone decides.
TEST_CASE("every column that can hold a person is covered by export and forget",
          "[store][personal]") {
  Sqlite backend;
  ManualClock clock;
  auto database = open_database(backend.url, {});
  migrate(*database);
  const std::set<std::string> not_personal = {
      "schema_migrations.version", "schema_migrations.description", "schema_migrations.applied_at",
      // An envelope's ids and state; its frame (what the person sent) is
      // kept only until it is handled, minutes at most, then emptied.
      "inbox.seq", "inbox.envelope_id", "inbox.event_id", "inbox.frame", "inbox.state",
      "inbox.owner", "inbox.lease_until", "inbox.attempts", "inbox.received_at",
      "inbox.finished_at",
      // A job's instance, its state and its payload (a payload names only the
      // job's subject_user, who is covered).
      "jobs.id", "jobs.kind", "jobs.payload", "jobs.due_at", "jobs.grace_until", "jobs.delivery",
      "jobs.state", "jobs.unique_key", "jobs.owner", "jobs.lease_until", "jobs.attempts",
      "jobs.lane", "jobs.last_error", "jobs.created_at", "jobs.finished_at", "prompt_history.id",
      "prompt_history.category", "prompt_history.prompt_id", "prompt_history.drawn_at",
      "user_profiles.time_zone", "user_profiles.tz_offset_seconds", "user_profiles.display_name",
      "user_profiles.fetched_at", "initiatives.id", "initiatives.team_id", "initiatives.channel_id",
      "initiatives.title", "initiatives.description", "initiatives.status",
      "initiatives.message_ts", "initiatives.created_at", "initiatives.closed_at",
      "endorsements.initiative_id", "endorsements.kind", "endorsements.note",
      "endorsements.created_at", "endorsements.first_follower", "feedback.id",
      "feedback.channel_id", "feedback.text", "feedback.non_blocking", "feedback.status",
      "feedback.created_at", "feedback.responded_at", "sixmonth_decisions.id",
      "sixmonth_decisions.channel_id", "sixmonth_decisions.decision", "sixmonth_decisions.answer",
      "sixmonth_decisions.created_at", "sixmonth_decisions.asked_key",
      // A claim's key names a channel and a message, never a person.
      "claims.claim_key", "claims.claimed_at", "nudge_schedules.subject_kind",
      "nudge_schedules.every_weeks", "nudge_schedules.anchor_monday", "nudge_schedules.topics",
      // A nudge names its person in subject_id; the rest is what became of it.
      "nudges_sent.id", "nudges_sent.subject_kind", "nudges_sent.channel_id",
      "nudges_sent.message_ts", "nudges_sent.prompt_id", "nudges_sent.sent_at",
      "nudges_sent.outcome", "nudges_sent.reflection", "nudges_sent.outcome_at",
      "nudge_schedules.local_minutes", "nudge_schedules.weekdays", "nudge_schedules.time_zone",
      "nudge_schedules.paused_until", "nudge_schedules.updated_at", "dialog_sessions.script",
      "dialog_sessions.step", "dialog_sessions.answers", "dialog_sessions.started_at",
      "dialog_sessions.updated_at", "dialog_sessions.version", "channel_leads.channel_id",
      "channel_leads.added_at", "initiative_nudges.initiative_id", "initiative_nudges.nudged_at",
      "initiative_nudges.answer", "initiative_nudges.answered_at",
      // Where the nudge's DM is: a DM channel and a message time.
      "initiative_nudges.message_channel", "initiative_nudges.message_ts",
      // A reflection names its person in user_id; the rest is what they wrote.
      "reflections.id", "reflections.flow", "reflections.state", "reflections.answers",
      "reflections.action", "reflections.started_at", "reflections.ended_at",
      "reflections.follow_up_due_at", "reflections.follow_up_status",
      "reflections.follow_up_answer", "reflections.follow_up_at"};
  // Text a person wrote lives in rows that a covered column ties to them.
  std::set<std::string> covered;
  for (const auto& c : person_columns()) covered.insert(c.table + "." + c.column);

  const auto tables = database->run_statement(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  std::size_t columns_seen = 0;
  for (const auto& table : tables.rows) {
    const auto columns =
        database->run_statement("SELECT name FROM pragma_table_info('" + table.text(0) + "')");
    for (const auto& column : columns.rows) {
      const std::string name = table.text(0) + "." + column.text(0);
      ++columns_seen;
      INFO(name << ": does it hold a person's id? Cover it in bot/store/personal_data.cpp, or "
                   "list it here as holding none.");
      CHECK((covered.count(name) == 1) != (not_personal.count(name) == 1));
    }
  }
  CHECK(columns_seen == covered.size() + not_personal.size());
}
