#include "bot/schedule/scheduler.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "bot/instance.hpp"
#include "bot/logging.hpp"
#include "bot/metrics.hpp"
#include "bot/slack/lane.hpp"

namespace ff {
namespace {

// The jobs of one claimed batch that this instance still holds, and the
// renewal of their leases: all of them in one statement, whenever the last
// renewal is a third of a lease old. A younger renewal already proves that
// nobody else can have taken a job over, so starting or finishing a job
// costs a write only when the leases need one.
class HeldLeases {
 public:
  HeldLeases(store::JobStore& jobs, const Clock& clock, const std::string& owner,
             std::chrono::milliseconds lease, const std::vector<store::Job>& claimed,
             std::chrono::steady_clock::time_point claimed_at)
      : jobs_(jobs),
        clock_(clock),
        owner_(owner),
        lease_(lease),
        every_(std::max(lease / 3, std::chrono::milliseconds{1})),
        renewed_(claimed_at) {
    for (const auto& job : claimed) held_.insert(job.id);
  }

  // Throws StoreError when the database cannot be reached.
  void renew_if_due() {
    // One renewal at a time: a thread that waited here finds the leases
    // fresh and goes on without writing.
    std::lock_guard renewing(renew_mutex_);
    const auto started = clock_.steady_now();
    std::vector<std::int64_t> ids;
    {
      std::lock_guard lock(mutex_);
      if (started - renewed_ < every_ || held_.empty()) return;
      ids.assign(held_.begin(), held_.end());
    }
    const auto kept = jobs_.renew_leases(ids, owner_, clock_.now() + lease_);
    const std::set<std::int64_t> still(kept.begin(), kept.end());
    std::lock_guard lock(mutex_);
    renewed_ = started;
    for (const auto id : ids) {
      // Jobs that finished since the snapshot are gone already.
      if (still.count(id) == 0 && held_.erase(id) == 1) {
        spdlog::warn("job {}: its lease ran out and another instance took it over", id);
      }
    }
  }

  bool holds(std::int64_t id) {
    std::lock_guard lock(mutex_);
    return held_.count(id) == 1;
  }

  void release(std::int64_t id) {
    std::lock_guard lock(mutex_);
    held_.erase(id);
  }

  std::chrono::steady_clock::time_point next_renewal() {
    std::lock_guard lock(mutex_);
    return renewed_ + every_;
  }

 private:
  store::JobStore& jobs_;
  const Clock& clock_;
  const std::string& owner_;
  const std::chrono::milliseconds lease_;
  const std::chrono::milliseconds every_;
  std::mutex renew_mutex_;
  std::mutex mutex_;
  std::set<std::int64_t> held_;
  std::chrono::steady_clock::time_point renewed_;
};

class ClaimedJob final : public JobControl {
 public:
  ClaimedJob(store::JobStore& jobs, const store::Job& job, const std::string& owner)
      : jobs_(jobs), job_(job), owner_(owner) {}
  bool begin_effect() override {
    const bool started = jobs_.mark_started(job_.id, owner_);
    if (!started) taken_over();
    started_ = started_ || started;
    return started;
  }
  bool begin_effect_and_schedule(const store::NewJob& successor) override {
    const bool started = jobs_.mark_started_and_schedule(job_.id, owner_, successor).started;
    if (!started) taken_over();
    started_ = started_ || started;
    return started;
  }
  bool started() const { return started_; }

 private:
  void taken_over() const {
    spdlog::warn("job {} ({}) was taken over before it ran; not running it", job_.id, job_.kind);
  }

  store::JobStore& jobs_;
  const store::Job& job_;
  const std::string& owner_;
  bool started_ = false;
};

// While a batch runs, run_due's own thread wakes at least this often (in
// real time) to look at the clock: an injected clock may be moved without
// any job starting or finishing.
constexpr std::chrono::milliseconds kLongestNap{200};

}  // namespace

JobScheduler::JobScheduler(store::JobStore& jobs, const Clock& clock, SchedulerOptions options)
    : jobs_(jobs), clock_(clock), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = made_up_instance_name();
}

JobScheduler::~JobScheduler() {
  stop();
}

void JobScheduler::handle(const std::string& kind, JobHandler handler) {
  handlers_[kind] = std::move(handler);
}

void JobScheduler::on_missed(const std::string& kind,
                             std::function<void(const store::Job&)> handler) {
  missed_handlers_[kind] = std::move(handler);
}

int JobScheduler::run_due() {
  int ran = 0;
  try {
    const auto recovered = jobs_.recover_expired_leases(clock_.now());
    if (recovered.requeued > 0) {
      spdlog::info("{} job(s) of a stopped instance are due again", recovered.requeued);
    }
    if (recovered.abandoned > 0) {
      counters_.abandoned += static_cast<std::uint64_t>(recovered.abandoned);
      // The store counts these without their kinds.
      metrics::registry().jobs.add({"any", "abandoned"}, static_cast<double>(recovered.abandoned));
      spdlog::warn(
          "{} job(s) had started sending when their instance stopped; not sent again, so nobody "
          "gets a message twice",
          recovered.abandoned);
    }
    // The lanes take turns: a whole batch of the jobs people wait on, then
    // a small one of bulk work (about a second of it at Slack's pace), so a
    // job due now waits at most that second behind a fan-out.
    for (;;) {
      const bool more_for_people = claim_and_run(store::JobLane::kPeople, options_.batch_size, ran);
      if (stopping()) break;
      const bool more_bulk = claim_and_run(store::JobLane::kBulk, options_.bulk_batch_size, ran);
      if ((!more_for_people && !more_bulk) || stopping()) break;
    }
  } catch (const store::StoreError& error) {
    ++counters_.store_errors;
    spdlog::warn("scheduler: the database is unavailable ({}); trying again shortly", error.what());
  }
  ++counters_.passes;
  return ran;
}

bool JobScheduler::claim_and_run(store::JobLane lane, int limit, int& ran) {
  // Before claiming, so the first renewal is early rather than late.
  const auto claimed_at = clock_.steady_now();
  auto claimed =
      jobs_.claim_due(clock_.now(), std::max(limit, 1), options_.lease, options_.owner, lane);
  for (const auto& job : claimed.due) metrics::registry().jobs.add({job.kind, "claimed"});
  for (const auto& job : claimed.missed) {
    ++counters_.missed;
    metrics::registry().jobs.add({job.kind, "skipped"});
    const auto it = missed_handlers_.find(job.kind);
    // A recurring job goes on with its next occurrence: worth knowing,
    // not a warning.
    spdlog::log(it == missed_handlers_.end() ? spdlog::level::warn : spdlog::level::info,
                "job {} ({}) was due at {} ms, while the bot was not running; past its grace "
                "window, so skipped",
                job.id, job.kind, store::to_millis(job.due));
    if (it != missed_handlers_.end()) it->second(job);
  }
  const auto found = claimed.due.size() + claimed.missed.size();
  run_batch(std::move(claimed.due), claimed_at, ran);
  return static_cast<int>(found) >= std::max(limit, 1);
}

JobOutcome outcome_of_post(const ApiResult& result, const store::Job& job) {
  if (result.ok) return JobOutcome::done();
  const bool passing = result.error == "ratelimited" || result.error == "service_unavailable" ||
                       result.error == "request_timeout" ||
                       result.error.rfind("transport_error", 0) == 0;
  if (!result.nothing_done || !passing) return JobOutcome::failed("Slack: " + result.error);
  const int doublings = std::min(std::max(job.attempts - 1, 0), 5);
  const auto wait = std::min(std::chrono::milliseconds{30000} * (1 << doublings),
                             std::chrono::milliseconds{15 * 60 * 1000});
  return JobOutcome::retry_nothing_done("Slack: " + result.error, wait);
}

// The state one batch's workers share with run_due's thread, which waits
// for them and keeps the leases alive.
class JobScheduler::Batch {
 public:
  Batch(JobScheduler& scheduler, std::vector<store::Job> jobs,
        std::chrono::steady_clock::time_point claimed_at)
      : scheduler_(scheduler),
        jobs_(std::move(jobs)),
        leases_(scheduler.jobs_, scheduler.clock_, scheduler.options_.owner,
                scheduler.options_.lease, jobs_, claimed_at) {}

  // Adds to `ran` how many jobs ran; throws the first StoreError once every
  // worker has stopped.
  void run(int& ran) {
    const auto threads = std::min<std::size_t>(
        static_cast<std::size_t>(std::max(scheduler_.options_.workers, 1)), jobs_.size());
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) workers.emplace_back([this] { work(); });
    keep_leases(threads);
    for (auto& worker : workers) worker.join();
    ran += ran_;
    if (error_) throw store::StoreError(*error_);
    give_back_unstarted();
  }

 private:
  void work() {
    for (;;) {
      const store::Job* job = nullptr;
      {
        std::lock_guard lock(mutex_);
        // Stopping: the jobs not started yet go back for another instance
        // (or the next start) at once, rather than when their leases end.
        if (error_ || next_ == jobs_.size() || scheduler_.stopping()) break;
        job = &jobs_[next_++];
      }
      try {
        leases_.renew_if_due();
        if (!leases_.holds(job->id)) {
          spdlog::warn("job {} ({}): lost its lease while queued; not running it", job->id,
                       job->kind);
          continue;
        }
        scheduler_.run(*job);
        leases_.release(job->id);
        {
          std::lock_guard lock(mutex_);
          ++ran_;
        }
        changed_.notify_all();
        leases_.renew_if_due();
      } catch (const store::StoreError& error) {
        stop(error.what());
      } catch (const std::exception& error) {
        // Not the handler's (run() turns those into a failed job): a bug in
        // the store layer. Stop the pass as for a store error; the leases
        // bring the jobs back.
        spdlog::error("scheduler: job {} ({}): {}", job->id, job->kind, error.what());
        stop(error.what());
      }
    }
    {
      std::lock_guard lock(mutex_);
      ++stopped_;
    }
    changed_.notify_all();
  }

  // Renews the leases at least every third of a lease until every worker
  // has stopped, waking early whenever a job finishes.
  void keep_leases(std::size_t threads) {
    std::unique_lock lock(mutex_);
    while (stopped_ < threads) {
      const auto until_due = leases_.next_renewal() - scheduler_.clock_.steady_now();
      const auto nap = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(until_due),
                                  std::chrono::milliseconds{1}, kLongestNap);
      changed_.wait_for(lock, nap);
      if (error_ || stopped_ == threads) continue;
      lock.unlock();
      try {
        leases_.renew_if_due();
      } catch (const store::StoreError& error) {
        stop(error.what());
      }
      lock.lock();
    }
  }

  void give_back_unstarted() {
    std::vector<std::int64_t> ids;
    for (std::size_t i = next_; i < jobs_.size(); ++i) {
      if (leases_.holds(jobs_[i].id)) ids.push_back(jobs_[i].id);
    }
    if (ids.empty()) return;
    const auto released = scheduler_.jobs_.release_claims(ids, scheduler_.options_.owner);
    spdlog::info("stopping: {} claimed job(s) given back, due at once for another instance",
                 released);
  }

  void stop(const std::string& why) {
    {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = why;
    }
    changed_.notify_all();
  }

  JobScheduler& scheduler_;
  const std::vector<store::Job> jobs_;
  HeldLeases leases_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t next_ = 0;
  std::size_t stopped_ = 0;
  int ran_ = 0;
  std::optional<std::string> error_;
};

void JobScheduler::run_batch(std::vector<store::Job> jobs,
                             std::chrono::steady_clock::time_point claimed, int& ran) {
  if (jobs.empty()) return;
  Batch batch(*this, std::move(jobs), claimed);
  batch.run(ran);
}

void JobScheduler::run(const store::Job& job) {
  const LogScope scope({{}, {}, job.subject_user, job.id});
  std::optional<BulkWork> bulk;
  if (job.lane == store::JobLane::kBulk) bulk.emplace();
  const auto handler = handlers_.find(job.kind);
  if (handler == handlers_.end()) {
    ++counters_.failed;
    metrics::registry().jobs.add({job.kind, "failed"});
    spdlog::error("job {}: no handler for kind {}", job.id, job.kind);
    jobs_.finish(job.id, options_.owner, "failed", "no handler for this kind", clock_.now());
    return;
  }
  ClaimedJob control(jobs_, job, options_.owner);
  JobOutcome outcome;
  try {
    outcome = handler->second(job, control);
  } catch (const store::StoreError&) {
    throw;  // the pass stops; the lease brings the job back
  } catch (const std::exception& error) {
    outcome = JobOutcome::failed(error.what());
  }
  const bool may_retry = !control.started() || job.delivery == store::JobDelivery::kAtLeastOnce ||
                         outcome.kind == JobOutcome::Kind::kRetryNothingDone;
  if ((outcome.kind == JobOutcome::Kind::kRetry ||
       outcome.kind == JobOutcome::Kind::kRetryNothingDone) &&
      may_retry) {
    ++counters_.retried;
    metrics::registry().jobs.add({job.kind, "retried"});
    jobs_.retry_at(job.id, options_.owner, clock_.now() + outcome.retry_after, outcome.error);
    return;
  }
  const bool ok = outcome.kind == JobOutcome::Kind::kDone;
  ok ? ++counters_.ran : ++counters_.failed;
  metrics::registry().jobs.add({job.kind, ok ? "done" : "failed"});
  if (!ok) spdlog::warn("job {} ({}) failed: {}", job.id, job.kind, outcome.error);
  jobs_.finish(job.id, options_.owner, ok ? "done" : "failed", outcome.error, clock_.now());
}

void JobScheduler::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  stop_requested_ = false;
  thread_ = std::thread([this] { loop(); });
}

void JobScheduler::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stop_requested_ = true;
  }
  wake_.notify_all();
}

void JobScheduler::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
  // The thread has ended; a pass a caller runs itself later (the console
  // between sessions, a test) runs whole again.
  stop_requested_ = false;
}

void JobScheduler::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void JobScheduler::loop() {
  auto error_pause = std::chrono::milliseconds{0};
  for (;;) {
    const auto errors_before = counters_.store_errors.load();
    run_due();
    auto wait = options_.poll_interval;
    if (counters_.store_errors.load() != errors_before) {
      // Back off while the database is away, up to the poll interval.
      error_pause = std::min(std::max(error_pause * 2, std::chrono::milliseconds{100}),
                             options_.poll_interval);
      wait = error_pause;
    } else {
      error_pause = {};
      try {
        if (const auto next = jobs_.next_due()) {
          const auto until =
              std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_.now());
          wait = std::clamp(until, std::chrono::milliseconds{0}, options_.poll_interval);
        }
      } catch (const store::StoreError&) {
      }
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [&] { return stopping_ || woken_; });
    if (stopping_) return;
    woken_ = false;
  }
}

}  // namespace ff
