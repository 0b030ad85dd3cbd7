#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ff {

// The threads that run handlers, so a slow Web API call inside one handler
// never delays the socket thread's acks and pings. A worker that is about to
// wait (a rate limit, Retry-After, a slow call) says so with a Waiting; while
// it waits, another thread takes the queue, so one channel's limit or one
// hung call never holds up everyone else's requests.
class WorkerPool {
 public:
  // `threads` jobs run at once, besides those waiting; up to `max_threads`
  // threads in all.
  explicit WorkerPool(std::size_t threads, std::size_t max_threads = 32);
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

  // Marks the calling worker as waiting for as long as it lives. When no
  // other thread of its pool is free to take queued jobs meanwhile, the
  // pool starts one (kept for later waits). Outside a worker it does
  // nothing.
  class Waiting {
   public:
    Waiting();
    ~Waiting();
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;

   private:
    WorkerPool* pool_;
  };

  std::size_t thread_count();
  // Jobs waiting for a thread, those queued behind their key's included.
  std::size_t queued();

 private:
  void run();
  void begin_waiting();
  void end_waiting();

  std::mutex mutex_;
  std::condition_variable wake_;
  struct Job {
    std::string key;  // empty: no order with any other job
    std::function<void()> run;
  };
  std::deque<Job> jobs_;
  // Keys with a job queued or running, and the jobs waiting behind it. A
  // list, because nearly every key has none waiting and an empty list
  // allocates nothing (an empty deque allocates half a kilobyte: for each
  // envelope queued, under a burst).
  std::map<std::string, std::list<std::function<void()>>, std::less<>> waiting_;
  bool stopping_ = false;
  const std::size_t running_;  // jobs that run at once, not counting those waiting
  const std::size_t max_threads_;
  std::size_t idle_ = 0;             // threads waiting for a job
  std::size_t busy_ = 0;             // threads running a job
  std::size_t waiting_threads_ = 0;  // of those, the ones inside a Waiting
  std::vector<std::thread> threads_;
};

}  // namespace ff
