// The SQL of durable jobs: reminders, nudges, maintenance.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "bot/store/sql_rows.hpp"
#include "bot/store/stores.hpp"

namespace ff::store {
namespace {

const char* delivery_name(JobDelivery delivery) {
  return delivery == JobDelivery::kAtMostOnce ? "at_most_once" : "at_least_once";
}

constexpr const char* kJobColumns =
    "id, kind, payload, due_at, grace_until, delivery, attempts, subject_user, lane";

std::int64_t lane_number(JobLane lane) {
  return lane == JobLane::kBulk ? 1 : 0;
}

Job job_from(const SqlRow& row) {
  Job job;
  job.id = row.integer(0);
  job.kind = row.text(1);
  job.payload = nlohmann::json::parse(row.text(2), nullptr, false);
  job.due = from_millis(row.integer(3));
  job.grace_until = from_millis(row.integer(4));
  job.delivery =
      row.text(5) == "at_least_once" ? JobDelivery::kAtLeastOnce : JobDelivery::kAtMostOnce;
  job.attempts = static_cast<int>(row.integer(6));
  job.subject_user = row.text(7);
  job.lane = row.integer(8) == 1 ? JobLane::kBulk : JobLane::kPeople;
  return job;
}

// The new job's id; nullopt when a live job already holds its unique key.
std::optional<std::int64_t> insert_job(SqlSession& s, const NewJob& job, TimePoint created) {
  const SqlResult r = s.run(
      "INSERT INTO jobs (kind, payload, due_at, grace_until, delivery, state, unique_key, "
      "subject_user, created_at, lane) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9) "
      "ON CONFLICT (unique_key) DO NOTHING RETURNING id",
      {job.kind, job.payload.dump(), to_millis(job.due), to_millis(job.due + job.grace),
       delivery_name(job.delivery),
       job.unique_key.empty() ? SqlValue{nullptr} : SqlValue{job.unique_key},
       job.subject_user.empty() ? SqlValue{nullptr} : SqlValue{job.subject_user},
       to_millis(created), lane_number(job.lane)});
  if (r.rows.empty()) return std::nullopt;
  return r.rows.front().integer(0);
}

class SqlJobStore final : public JobStore {
 public:
  SqlJobStore(Database& database, const Clock& clock) : db_(database), clock_(clock) {}

  std::optional<std::int64_t> schedule(const NewJob& job) override {
    return db_.read([&](SqlSession& s) { return insert_job(s, job, clock_.now()); });
  }

  bool cancel(std::int64_t id) override {
    return db_.read([&](SqlSession& s) {
      return s.run(
                  "UPDATE jobs SET state = 'cancelled', unique_key = NULL, finished_at = $2 "
                  "WHERE id = $1 AND state = 'pending'",
                  {id, to_millis(clock_.now())})
                 .affected == 1;
    });
  }

  bool cancel_key(const std::string& unique_key) override {
    return db_.read([&](SqlSession& s) {
      return s.run(
                  "UPDATE jobs SET state = 'cancelled', unique_key = NULL, finished_at = $2 "
                  "WHERE unique_key = $1 AND state = 'pending'",
                  {unique_key, to_millis(clock_.now())})
                 .affected == 1;
    });
  }

  std::int64_t cancel_keys_starting(const std::string& prefix) override {
    // The keys starting with `prefix` are those from it (inclusive) to the
    // prefix with its last byte raised (exclusive), in byte order: a range
    // the pending-keys index answers, where a substr() or LIKE test would
    // read every pending job (a person's /nudges change, with a hundred
    // thousand people scheduled, took a hundred thousand rows).
    std::string end = prefix;
    while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
    if (end.empty()) {
      return db_.read([&](SqlSession& s) {
        return s
            .run(
                "UPDATE jobs SET state = 'cancelled', unique_key = NULL, finished_at = $1 "
                "WHERE state = 'pending' AND unique_key IS NOT NULL",
                {to_millis(clock_.now())})
            .affected;
      });
    }
    end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
    return db_.read([&](SqlSession& s) {
      return s
          .run(
              "UPDATE jobs SET state = 'cancelled', unique_key = NULL, finished_at = $3 "
              "WHERE state = 'pending' AND unique_key {{bytes}} >= $1 "
              "AND unique_key {{bytes}} < $2",
              {prefix, end, to_millis(clock_.now())})
          .affected;
    });
  }

  ClaimedJobs claim_due(TimePoint now, int limit, std::chrono::milliseconds lease,
                        const std::string& owner, std::optional<JobLane> lane) override {
    const std::int64_t at = to_millis(now);
    return db_.read([&](SqlSession& s) {
      // The inner SELECT walks a partial index of pending jobs in due order
      // (of one lane: jobs_pending_lane, so a fan-out's ten thousand due
      // nudges are not read past to find the one job people wait on); on
      // PostgreSQL it skips rows another instance is claiming, so two
      // instances never wait on each other or claim the same job.
      const std::string which = lane ? "WHERE state = 'pending' AND lane = $5 AND due_at <= $3 "
                                     : "WHERE state = 'pending' AND due_at <= $3 ";
      std::vector<SqlValue> values{owner, at + lease.count(), at, std::int64_t{limit}};
      if (lane) values.emplace_back(lane_number(*lane));
      const SqlResult claimed = s.run(
          std::string("UPDATE jobs SET state = 'claimed', owner = $1, lease_until = $2, "
                      "attempts = attempts + 1 WHERE id IN (SELECT id FROM jobs ") +
              which + "ORDER BY due_at, id LIMIT $4 {{skip_locked}}) RETURNING " + kJobColumns,
          values);
      ClaimedJobs jobs;
      for (const auto& row : claimed.rows) {
        Job job = job_from(row);
        (job.grace_until < now ? jobs.missed : jobs.due).push_back(std::move(job));
      }
      for (const auto& job : jobs.missed) {
        s.run(
            "UPDATE jobs SET state = 'skipped', unique_key = NULL, finished_at = $2, "
            "last_error = 'due while the bot was not running, past its grace window' "
            "WHERE id = $1",
            {job.id, at});
      }
      // RETURNING gives no order; run the oldest first.
      std::sort(jobs.due.begin(), jobs.due.end(), [](const Job& a, const Job& b) {
        return a.due != b.due ? a.due < b.due : a.id < b.id;
      });
      return jobs;
    });
  }

  bool mark_started(std::int64_t id, const std::string& owner) override {
    return db_.read([&](SqlSession& s) {
      return s.run(
                  "UPDATE jobs SET state = 'started' WHERE id = $1 AND owner = $2 "
                  "AND state = 'claimed'",
                  {id, owner})
                 .affected == 1;
    });
  }

  StartedWithSuccessor mark_started_and_schedule(std::int64_t id, const std::string& owner,
                                                 const NewJob& successor) override {
    const TimePoint now = clock_.now();
    return db_.read([&](SqlSession& s) {
      StartedWithSuccessor result;
      // A shared key passes to the successor, which would otherwise collide
      // with the started job still holding it.
      result.started =
          s.run(
               "UPDATE jobs SET state = 'started', unique_key = CASE WHEN unique_key = $3 THEN "
               "NULL ELSE unique_key END WHERE id = $1 AND owner = $2 AND state = 'claimed'",
               {id, owner,
                successor.unique_key.empty() ? SqlValue{nullptr} : SqlValue{successor.unique_key}})
              .affected == 1;
      if (result.started) result.successor = insert_job(s, successor, now);
      return result;
    });
  }

  std::vector<std::int64_t> renew_leases(const std::vector<std::int64_t>& ids,
                                         const std::string& owner, TimePoint until) override {
    std::vector<std::int64_t> held;
    if (ids.empty()) return held;
    db_.transact([&](SqlSession& s) {
      held.clear();  // a retried transaction starts again
      rows::run_over_ids(
          s,
          "UPDATE jobs SET lease_until = $1 WHERE owner = $2 AND state IN ('claimed', "
          "'started') AND id IN ",
          " RETURNING id", {to_millis(until), owner}, ids, [&](const SqlResult& r) {
            for (const auto& row : r.rows) held.push_back(row.integer(0));
          });
    });
    return held;
  }

  std::int64_t release_claims(const std::vector<std::int64_t>& ids,
                              const std::string& owner) override {
    std::int64_t released = 0;
    if (ids.empty()) return released;
    db_.transact([&](SqlSession& s) {
      released = 0;  // a retried transaction starts again
      rows::run_over_ids(s,
                         "UPDATE jobs SET state = 'pending', owner = NULL, lease_until = NULL "
                         "WHERE owner = $1 AND state = 'claimed' AND id IN ",
                         "", {owner}, ids, [&](const SqlResult& r) { released += r.affected; });
    });
    return released;
  }

  void finish(std::int64_t id, const std::string& owner, const std::string& state,
              const std::string& error, TimePoint now) override {
    db_.transact([&](SqlSession& s) {
      s.run(
          "UPDATE jobs SET state = $3, last_error = $4, finished_at = $5, unique_key = NULL, "
          "lease_until = NULL WHERE id = $1 AND owner = $2 AND state IN ('claimed', 'started')",
          {id, owner, state, error.empty() ? SqlValue{nullptr} : SqlValue{error}, to_millis(now)});
    });
  }

  void retry_at(std::int64_t id, const std::string& owner, TimePoint at,
                const std::string& error) override {
    db_.transact([&](SqlSession& s) {
      s.run(
          "UPDATE jobs SET state = 'pending', owner = NULL, lease_until = NULL, due_at = $3, "
          "grace_until = CASE WHEN grace_until < $3 THEN $3 ELSE grace_until END, "
          "last_error = $4 WHERE id = $1 AND owner = $2 AND state IN ('claimed', 'started')",
          {id, owner, to_millis(at), error});
    });
  }

  RecoveredLeases recover_expired_leases(TimePoint now) override {
    const std::int64_t at = to_millis(now);
    // Runs before every pass of the scheduler. The `state IN ('claimed',
    // 'started')` term repeats the partial index jobs_leased's own, word for
    // word: SQLite uses a partial index only for a query that says its
    // condition, and without it both statements read every job, a cost that
    // grew with the number of people even when nothing was due.
    return db_.read([&](SqlSession& s) {
      RecoveredLeases recovered;
      recovered.abandoned =
          s.run(
               "UPDATE jobs SET state = 'abandoned', unique_key = NULL, finished_at = $1, "
               "last_error = 'the instance running it stopped after it started sending' "
               "WHERE state IN ('claimed', 'started') AND state = 'started' "
               "AND delivery = 'at_most_once' AND lease_until < $1",
               {at})
              .affected;
      // Never a started at-most-once job, even one the statement above did
      // not see: on PostgreSQL each statement reads afresh, so a job whose
      // sending began between the two would otherwise be sent again. The
      // next pass abandons it.
      recovered.requeued =
          s.run(
               "UPDATE jobs SET state = 'pending', owner = NULL, lease_until = NULL "
               "WHERE state IN ('claimed', 'started') "
               "AND (state = 'claimed' OR delivery = 'at_least_once') AND lease_until < $1",
               {at})
              .affected;
      return recovered;
    });
  }

  std::optional<TimePoint> next_due() override {
    return db_.read([&](SqlSession& s) -> std::optional<TimePoint> {
      const SqlResult r =
          s.run("SELECT due_at FROM jobs WHERE state = 'pending' ORDER BY due_at, id LIMIT 1");
      if (r.rows.empty()) return std::nullopt;
      return from_millis(r.rows.front().integer(0));
    });
  }

  std::map<std::string, std::int64_t> count_by_state() override {
    return db_.read([&](SqlSession& s) {
      std::map<std::string, std::int64_t> counts;
      for (const auto& row : s.run("SELECT state, count(*) FROM jobs GROUP BY state").rows) {
        counts[row.text(0)] = row.integer(1);
      }
      return counts;
    });
  }

  std::int64_t purge_finished(TimePoint before) override {
    return db_.read([&](SqlSession& s) {
      return s
          .run("DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1",
               {to_millis(before)})
          .affected;
    });
  }

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<JobStore> make_sql_job_store(Database& database, const Clock& clock) {
  return std::make_unique<SqlJobStore>(database, clock);
}

}  // namespace ff::store
