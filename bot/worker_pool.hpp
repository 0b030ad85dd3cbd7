#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ff {

// A fixed set of threads that run handlers, so a slow Web API call inside one
// handler never delays the socket thread's acks and pings.
class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> job);
  // Jobs posted with the same non-empty key run one at a time, in the order
  // they were posted, on whichever thread is free: one person's messages
  // and button presses are handled in the order they arrived, while other
  // people's run alongside.
  void post(std::string key, std::function<void()> job);
  // Finishes queued jobs, then joins the threads. Idempotent.
  void shutdown();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  struct Job {
    std::string key;  // empty: no order with any other job
    std::function<void()> run;
  };
  std::deque<Job> jobs_;
  // Keys with a job queued or running, and the jobs waiting behind it.
  std::map<std::string, std::deque<std::function<void()>>, std::less<>> waiting_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ff
