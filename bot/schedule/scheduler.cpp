#include "bot/schedule/scheduler.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

namespace ff {
namespace {

std::string made_up_owner() {
  char host[64] = {};
  gethostname(host, sizeof host - 1);
  std::random_device random;
  return std::string(host) + ":" + std::to_string(getpid()) + ":" +
         std::to_string(random() % 100000);
}

class ClaimedJob final : public JobControl {
 public:
  ClaimedJob(store::JobStore& jobs, const store::Job& job, const std::string& owner)
      : jobs_(jobs), job_(job), owner_(owner) {}
  bool begin_effect() override {
    started_ = jobs_.mark_started(job_.id, owner_);
    if (!started_)
      spdlog::warn("job {} ({}) was taken over before it ran; not running it", job_.id, job_.kind);
    return started_;
  }
  bool started() const { return started_; }

 private:
  store::JobStore& jobs_;
  const store::Job& job_;
  const std::string& owner_;
  bool started_ = false;
};

}  // namespace

JobScheduler::JobScheduler(store::JobStore& jobs, const Clock& clock, SchedulerOptions options)
    : jobs_(jobs), clock_(clock), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = made_up_owner();
}

JobScheduler::~JobScheduler() {
  stop();
}

void JobScheduler::handle(const std::string& kind, JobHandler handler) {
  handlers_[kind] = std::move(handler);
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
      spdlog::warn(
          "{} job(s) had started sending when their instance stopped; not sent again, so nobody "
          "gets a message twice",
          recovered.abandoned);
    }
    for (;;) {
      const auto claimed =
          jobs_.claim_due(clock_.now(), options_.batch_size, options_.lease, options_.owner);
      for (const auto& job : claimed.missed) {
        ++counters_.missed;
        spdlog::warn(
            "job {} ({}) was due at {} ms, while the bot was not running; past its grace "
            "window, so skipped",
            job.id, job.kind, store::to_millis(job.due));
      }
      for (const auto& job : claimed.due) {
        run(job);
        ++ran;
      }
      if (static_cast<int>(claimed.due.size() + claimed.missed.size()) < options_.batch_size) break;
    }
  } catch (const store::StoreError& error) {
    ++counters_.store_errors;
    spdlog::warn("scheduler: the database is unavailable ({}); trying again shortly", error.what());
  }
  ++counters_.passes;
  return ran;
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

void JobScheduler::run(const store::Job& job) {
  const auto handler = handlers_.find(job.kind);
  if (handler == handlers_.end()) {
    ++counters_.failed;
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
    jobs_.retry_at(job.id, options_.owner, clock_.now() + outcome.retry_after, outcome.error);
    return;
  }
  const bool ok = outcome.kind == JobOutcome::Kind::kDone;
  ok ? ++counters_.ran : ++counters_.failed;
  if (!ok) spdlog::warn("job {} ({}) failed: {}", job.id, job.kind, outcome.error);
  jobs_.finish(job.id, options_.owner, ok ? "done" : "failed", outcome.error, clock_.now());
}

void JobScheduler::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void JobScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
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
