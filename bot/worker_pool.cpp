#include "bot/worker_pool.hpp"

#include <spdlog/spdlog.h>

namespace ff {

WorkerPool::WorkerPool(std::size_t threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
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
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job.run();
    } catch (const std::exception& error) {
      spdlog::error("worker job failed: {}", error.what());
    }
    if (job.key.empty()) continue;
    // The key's next job goes to the back of the queue, behind jobs posted
    // meanwhile by others, so one busy person cannot hold a thread.
    bool queued = false;
    {
      std::lock_guard lock(mutex_);
      const auto it = waiting_.find(job.key);
      if (it->second.empty()) {
        waiting_.erase(it);
      } else {
        jobs_.push_back({std::move(job.key), std::move(it->second.front())});
        it->second.pop_front();
        queued = true;
      }
    }
    if (queued) wake_.notify_one();
  }
}

}  // namespace ff
