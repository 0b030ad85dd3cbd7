#include "bot/worker_pool.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace ff {

namespace {

// The pool whose job this thread is running, for Waiting.
thread_local WorkerPool* current_pool = nullptr;

}  // namespace

WorkerPool::WorkerPool(std::size_t threads, std::size_t max_threads)
    : running_(std::max<std::size_t>(threads, 1)), max_threads_(std::max(max_threads, running_)) {
  threads_.reserve(running_);
  for (std::size_t i = 0; i < running_; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::Waiting::Waiting() : pool_(current_pool) {
  if (pool_ != nullptr) pool_->begin_waiting();
}

WorkerPool::Waiting::~Waiting() {
  if (pool_ != nullptr) pool_->end_waiting();
}

void WorkerPool::begin_waiting() {
  std::lock_guard lock(mutex_);
  ++waiting_threads_;
  // Room for one more job now: a free thread takes it, or a new one.
  if (idle_ > 0) {
    wake_.notify_one();
  } else if (threads_.size() < max_threads_ && !stopping_) {
    threads_.emplace_back([this] { run(); });
  }
}

void WorkerPool::end_waiting() {
  std::lock_guard lock(mutex_);
  --waiting_threads_;
}

std::size_t WorkerPool::thread_count() {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

std::size_t WorkerPool::queued() {
  std::lock_guard lock(mutex_);
  std::size_t behind = 0;
  for (const auto& [key, jobs] : waiting_) behind += jobs.size();
  return jobs_.size() + behind;
}

WorkerPool::~WorkerPool() {
  shutdown();
}

void WorkerPool::post(std::function<void()> job) {
  post(std::string(), std::move(job));
}

void WorkerPool::post(std::string key, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (!key.empty()) {
      const auto [it, first] = waiting_.try_emplace(key);
      if (!first) {
        // The key's earlier job is queued or running; this one follows it.
        it->second.push_back(std::move(job));
        return;
      }
    }
    jobs_.push_back({std::move(key), std::move(job)});
  }
  wake_.notify_one();
}

void WorkerPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::run() {
  current_pool = this;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ++idle_;
      wake_.wait(lock, [this] {
        const bool room = busy_ < running_ + waiting_threads_;
        return (stopping_ && jobs_.empty()) || (!jobs_.empty() && room);
      });
      --idle_;
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++busy_;
    }
    try {
      job.run();
    } catch (const std::exception& error) {
      spdlog::error("worker job failed: {}", error.what());
    }
    bool more = false;
    {
      std::lock_guard lock(mutex_);
      --busy_;
      if (!job.key.empty()) {
        // The key's next job goes to the back of the queue, behind jobs
        // posted meanwhile by others, so one busy person cannot hold a
        // thread.
        const auto it = waiting_.find(job.key);
        if (it->second.empty()) {
          waiting_.erase(it);
        } else {
          jobs_.push_back({std::move(job.key), std::move(it->second.front())});
          it->second.pop_front();
        }
      }
      more = !jobs_.empty();
    }
    // A job finished: room for the next. Only when one is queued: a wake
    // for nothing costs a context switch per job.
    if (more) wake_.notify_one();
  }
}

}  // namespace ff
