#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "clock.hpp"

namespace ff {

// Remembers which envelopes and events were already handled, so a redelivery
// (same envelope_id, or the same event_id on Slack's retry) is handled once.
class DedupeStore {
 public:
  virtual ~DedupeStore() = default;
  // True the first time a key is seen within the retention window.
  virtual bool first_time(std::string_view key) = 0;
};

// In-process dedupe with a retention window and a size cap: Slack retries an
// unacknowledged event a few times over about an hour, so ids older than the
// window are forgotten.
class RecentIds final : public DedupeStore {
 public:
  RecentIds(const Clock& clock, std::chrono::seconds retention, std::size_t max_entries);
  bool first_time(std::string_view key) override;
  std::size_t size() const;

 private:
  void expire(std::chrono::steady_clock::time_point now);

  const Clock& clock_;
  const std::chrono::seconds retention_;
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> order_;
};

}  // namespace ff
