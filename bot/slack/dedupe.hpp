#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "bot/clock.hpp"
#include "bot/inbox.hpp"

namespace ff {

// In-process dedupe with a retention window and a size cap. Slack retries an
// unacknowledged event three times within about five minutes, and redelivers
// an unacked envelope on reconnect within seconds, so ids older than the
// window are forgotten. Only a 64-bit hash of each id is kept (about 40 bytes
// an entry): with 100,000 entries a false "seen" is about one in 10^9.
class RecentIds {
 public:
  RecentIds(const Clock& clock, std::chrono::seconds retention, std::size_t max_entries);
  // True the first time a key is seen within the retention window.
  bool first_time(std::string_view key);
  std::size_t size() const;

 private:
  void expire(std::chrono::steady_clock::time_point now);

  const Clock& clock_;
  const std::chrono::seconds retention_;
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_set<std::uint64_t> seen_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> order_;
};

// An inbox in this process's memory: a redelivery within the window is
// known, nothing survives a restart. Tests use it, and the durable inbox
// falls back on it while its database fails.
class MemoryInbox final : public Inbox {
 public:
  MemoryInbox(const Clock& clock, std::chrono::seconds retention, std::size_t max_entries)
      : ids_(clock, retention, max_entries) {}
  void admit(InboxEntry entry, std::function<void(Admission)> then) override;
  void finished(std::string, std::function<void()> then) override {
    if (then) then();
  }

 private:
  RecentIds ids_;
};

}  // namespace ff
