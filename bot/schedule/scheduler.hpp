#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bot/clock.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/store/stores.hpp"

namespace ff {

// What a job handler reports back.
struct JobOutcome {
  enum class Kind { kDone, kFailed, kRetry, kRetryNothingDone };
  Kind kind = Kind::kDone;
  std::string error;
  std::chrono::milliseconds retry_after{0};

  static JobOutcome done() { return {}; }
  static JobOutcome failed(std::string why) { return {Kind::kFailed, std::move(why), {}}; }
  // Only honoured before the effect began, or for at-least-once jobs.
  static JobOutcome retry(std::string why, std::chrono::milliseconds after) {
    return {Kind::kRetry, std::move(why), after};
  }
  // The effect began but certainly did not happen (Slack did nothing with
  // the call: ApiResult::nothing_done), so even an at-most-once job may try
  // again.
  static JobOutcome retry_nothing_done(std::string why, std::chrono::milliseconds after) {
    return {Kind::kRetryNothingDone, std::move(why), after};
  }
};

// Handed to a job handler: the handler calls begin_effect() immediately
// before its visible effect (a Slack message). False means this instance no
// longer holds the job, and the handler must return without acting.
class JobControl {
 public:
  virtual ~JobControl() = default;
  virtual bool begin_effect() = 0;
  // begin_effect() that also schedules the job's next occurrence in the same
  // transaction (a recurring nudge): true when both happened, or when the
  // effect began and a live job already holds the successor's unique key;
  // false when this instance no longer holds the job, and then neither
  // happened.
  virtual bool begin_effect_and_schedule(const store::NewJob& successor) = 0;
};

using JobHandler = std::function<JobOutcome(const store::Job&, JobControl&)>;

// What a job reports after its one visible Slack call: done; tried again
// later (backing off from 30 s to 15 min) when Slack certainly did nothing
// and may do it later (rate limited, unreachable, unavailable); else failed,
// since a message must never go out twice.
JobOutcome outcome_of_post(const ApiResult& result, const store::Job& job);

struct SchedulerOptions {
  std::chrono::milliseconds poll_interval{1000};  // how soon other instances' jobs are seen
  std::chrono::milliseconds lease{60000};         // how long a claimed job is ours
  int batch_size = 100;
  // Bulk jobs claimed at a time (store::JobLane): about a second of bulk
  // posts at their pace, so the other lane's jobs wait at most that long.
  int bulk_batch_size = 20;
  // Threads that run a claimed batch's jobs side by side, so one slow Slack
  // call does not hold up the rest of the batch.
  int workers = 2;
  std::string owner;  // this instance's name in the jobs table; made up when empty
};

struct SchedulerCounters {
  std::atomic<std::uint64_t> passes{0};  // calls of run_due() that finished
  std::atomic<std::uint64_t> ran{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> retried{0};
  std::atomic<std::uint64_t> missed{0};
  std::atomic<std::uint64_t> abandoned{0};
  std::atomic<std::uint64_t> store_errors{0};
};

// Runs durable jobs when they fall due. Jobs live in the JobStore, not in
// memory: each pass claims the next due batch through an index, so a million
// pending jobs cost the scheduler nothing until they are due. A batch runs on
// `workers` threads, and the leases of its jobs (queued or running) are
// renewed while this instance holds them, so another instance never takes
// over a job only because the batch ahead of it was slow. Time comes from the
// injected clock; tests call run_due() after moving it.
class JobScheduler {
 public:
  JobScheduler(store::JobStore& jobs, const Clock& clock, SchedulerOptions options);
  ~JobScheduler();

  void handle(const std::string& kind, JobHandler handler);
  // Told of each job of `kind` found past its grace window and skipped (once,
  // by the instance that found it): where a recurring job schedules its
  // next occurrence, so a missed one never ends the series.
  void on_missed(const std::string& kind, std::function<void(const store::Job&)> handler);

  // One pass: recover jobs of vanished instances, then claim and run due
  // jobs in batches until none is due. Returns, once they have finished, how
  // many of the claimed jobs it ran (a job whose lease was lost is not run).
  int run_due();

  // A background thread that calls run_due() when the next job falls due,
  // at least every poll_interval.
  void start();
  void stop();
  // Asks the background thread to stop without waiting for it: the jobs
  // under way finish, those claimed and not started are given back at once.
  // stop() then joins it.
  void request_stop();
  // Wakes the background thread early (a job was scheduled sooner).
  void wake();

  const std::string& owner() const { return options_.owner; }
  const SchedulerCounters& counters() const { return counters_; }

 private:
  class Batch;
  // Claims up to `limit` due jobs of `lane` and runs them; true when it
  // found `limit` (there may be more).
  bool claim_and_run(store::JobLane lane, int limit, int& ran);
  void run_batch(std::vector<store::Job> jobs, std::chrono::steady_clock::time_point claimed,
                 int& ran);
  void run(const store::Job& job);
  void loop();
  // Set by stop(): no more batches are claimed, and a batch under way starts
  // no further job.
  bool stopping() const { return stop_requested_.load(); }

  store::JobStore& jobs_;
  const Clock& clock_;
  SchedulerOptions options_;
  std::map<std::string, JobHandler> handlers_;
  std::map<std::string, std::function<void(const store::Job&)>> missed_handlers_;
  SchedulerCounters counters_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace ff
