#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bot/clock.hpp"
#include "bot/inbox.hpp"
#include "bot/store/stores.hpp"

namespace ff {

struct DurableInboxOptions {
  // This instance's name in the inbox table.
  std::string owner;
  // How long the envelopes an instance took stay its own after it died;
  // renewed every third of it while it lives.
  std::chrono::milliseconds lease{60000};
  // Envelopes written in one transaction at most.
  std::size_t max_batch = 256;
  // How often an envelope is taken up again before it is given up: a frame
  // that kills the process each time must not keep it from starting.
  int max_attempts = 3;
  // One instance alone on its database (SQLite): at start every unfinished
  // envelope is its own, whatever its lease says.
  bool alone_on_database = true;
};

struct DurableInboxCounters {
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> redeliveries{0};
  std::atomic<std::uint64_t> taken_up{0};
  std::atomic<std::uint64_t> abandoned{0};
  // Envelopes admitted by memory alone while the database failed.
  std::atomic<std::uint64_t> store_failures{0};
};

// The inbox on the database, with group commit: one writer thread takes
// everything that arrived while it wrote the last batch (up to max_batch)
// and writes it in one transaction, together with the envelopes handled
// meanwhile. Under load many envelopes share one commit; when idle an
// envelope waits for nobody. Nothing is acked before its batch committed.
//
// The same thread keeps the leases of the envelopes this instance holds,
// and takes up those another instance left behind (it stopped, or its lease
// ran out): they go to `resume`.
//
// While the database fails, envelopes are admitted by `fallback` (memory)
// so people keep getting answers; those are not durable, and it is logged.
class DurableInbox final : public Inbox {
 public:
  using Resume = std::function<void(UnfinishedEnvelope)>;

  DurableInbox(store::InboxStore& store, Inbox& fallback, const Clock& clock,
               DurableInboxOptions options);
  ~DurableInbox() override;
  DurableInbox(const DurableInbox&) = delete;
  DurableInbox& operator=(const DurableInbox&) = delete;

  // Hands the unfinished envelopes left by an earlier run to `resume`, then
  // starts the writer.
  void start(Resume resume);
  void admit(InboxEntry entry, std::function<void(Admission)> then) override;
  void finished(std::string envelope_id, std::function<void()> then) override;
  // Renews this instance's leases and takes up envelopes whose lease ran
  // out; the writer does this every third of a lease, tests when they move
  // the clock.
  void keep_leases();
  // Writes what is queued, then ends this instance's leases on what it did
  // not finish, so another instance (or the next start) takes it up at once.
  void stop();

  const std::string& owner() const { return options_.owner; }
  const DurableInboxCounters& counters() const { return counters_; }

 private:
  struct Arrival {
    InboxEntry entry;
    std::function<void(Admission)> then;
  };

  void run();
  // Leaves `finished` empty once written; as it was when the database failed.
  void write(std::vector<Arrival>& arrivals, std::vector<std::string>& finished);
  void take_up(bool any_lease);
  void note_store_failure(const char* what, const std::exception& error);

  store::InboxStore& store_;
  Inbox& fallback_;
  const Clock& clock_;
  const DurableInboxOptions options_;
  Resume resume_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Arrival> arrivals_;
  std::vector<std::string> finished_;
  // Called once the finished marks queued with them were written (or failed).
  std::vector<std::function<void()>> after_finished_;
  bool stopping_ = false;
  std::thread writer_;
  DurableInboxCounters counters_;
};

}  // namespace ff
