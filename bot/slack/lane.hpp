#pragma once

namespace ff {

// Who waits on a Web API call. A person's calls (a reply, a card, a form)
// and bulk work (a scheduled fan-out of nudges nobody watches go out) draw
// on separate budgets, so ten thousand nudges due at once never queue a
// person's answer behind them.
enum class Lane { kPeople, kBulk };

// The lane of the calls this thread makes: bulk while a BulkWork lives.
class BulkWork {
 public:
  BulkWork() : outer_(bulk_) { bulk_ = true; }
  ~BulkWork() { bulk_ = outer_; }
  BulkWork(const BulkWork&) = delete;
  BulkWork& operator=(const BulkWork&) = delete;

  static Lane current() { return bulk_ ? Lane::kBulk : Lane::kPeople; }

 private:
  static inline thread_local bool bulk_ = false;
  const bool outer_;
};

}  // namespace ff
